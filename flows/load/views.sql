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

-- The latest poll of each pollster in each article.
CREATE OR REPLACE VIEW latest_polls AS
SELECT *
FROM polls
QUALIFY row_number() OVER (
    PARTITION BY article_id, pollster ORDER BY fieldwork_end DESC, fieldwork_start DESC, poll_id
) = 1;

-- A monthly series per article and answer: polls are placed at the midpoint of their fieldwork.
-- weighted_share weighs each poll by its sample size, over the polls that give one.
CREATE OR REPLACE VIEW monthly_series AS
SELECT
    article_id,
    article_title,
    date_trunc('month', fieldwork_midpoint)::DATE AS month,
    option,
    answer_class,
    count(*) AS polls,
    avg(share) AS mean_share,
    sum(share * sample_size) / nullif(sum(sample_size), 0) AS weighted_share,
    count(sample_size) AS polls_with_sample_size,
    sum(sample_size)::BIGINT AS respondents
FROM poll_answers
GROUP BY ALL;

-- Each poll with the most recent event of its article on or before the start of its fieldwork.
CREATE OR REPLACE VIEW polls_with_latest_event AS
SELECT
    p.poll_id,
    p.article_id,
    p.article_title,
    p.fieldwork_start,
    p.fieldwork_end,
    p.pollster,
    p.support,
    p.oppose,
    p.neutral,
    e.event_date AS latest_event_date,
    e.description AS latest_event
FROM polls AS p
ASOF LEFT JOIN events AS e
    ON p.article_id = e.article_id AND p.fieldwork_start >= e.event_date;
