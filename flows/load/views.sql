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

-- The polling average per article and answer, the trend line of the report's charts (it draws
-- these rows) and of Wikipedia's own poll graphs. One row per day on which a poll of the answer
-- is placed (the midpoint of its fieldwork, as in poll_answers): the mean share of the answer's
-- polls of the 30 days up to and including that day, each weighted by how recent it is,
-- (30 - age in days) / 30: a poll of that day counts 1, one 29 days old 1/30, an older one not
-- at all. A trailing window, so a day's average uses no later poll; no day without a poll gets
-- a row, and no gap is filled in. window_days says the window; `TREND_WINDOW_DAYS` in
-- flows/report.py is the same number (a test keeps them equal).
--
-- Computed with window sums rather than a join of each day to its 30 days (three times faster
-- on 50,000 polls): with d the day's number and d_i, s_i each poll's day number and share,
--   sum((30 - (d - d_i)) * s_i) / sum(30 - (d - d_i))
--     = ((30 - d) * sum(s_i) + sum(d_i * s_i)) / ((30 - d) * count(*) + sum(d_i))
-- where the sums run over the polls of the window, which a RANGE frame gives.
CREATE OR REPLACE VIEW poll_trend AS
WITH daily AS (
    SELECT
        article_id,
        article_title,
        option,
        fieldwork_midpoint AS day,
        fieldwork_midpoint - DATE '1970-01-01' AS day_number,
        count(*) AS polls,
        sum(share) AS shares
    FROM poll_answers
    WHERE share IS NOT NULL
    GROUP BY ALL
)
SELECT
    article_id,
    article_title,
    option,
    day,
    (sum(polls) OVER recent)::BIGINT AS polls_in_window,
    ((30 - day_number) * sum(shares) OVER recent + sum(day_number * shares) OVER recent)
        / ((30 - day_number) * sum(polls) OVER recent + sum(day_number * polls) OVER recent)
        AS average_share,
    30 AS window_days
FROM daily
WINDOW recent AS (
    PARTITION BY article_id, option ORDER BY day
    RANGE BETWEEN INTERVAL 29 DAYS PRECEDING AND CURRENT ROW
);
