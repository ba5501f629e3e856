-- Views for the questions people ask of the warehouse. Recreated by every load, so they always
-- match the tables beneath them. Only views: the tables are the contract (see README).

-- Each poll with one row per answer: the long form most charts want.
CREATE OR REPLACE VIEW poll_answers AS
SELECT
    p.poll_id,
    p.article_id,
    p.article_title,
    p.fieldwork_start,
    p.fieldwork_end,
    p.fieldwork_start + CAST((p.fieldwork_end - p.fieldwork_start) // 2 AS INTEGER) AS fieldwork_midpoint,
    p.date_precision,
    p.pollster,
    p.client,
    p.sample_size,
    r.option,
    r.answer_class,
    r.share
FROM polls AS p
JOIN poll_results AS r USING (poll_id);

-- Rejected rows with what was wrong, by file and line: the data-quality to-do list.
CREATE OR REPLACE VIEW rejected_summary AS
SELECT
    article_title,
    source_path,
    source_line,
    check_name,
    reason,
    raw_text
FROM rejected_rows
ORDER BY source_path, source_line NULLS FIRST, check_name;
