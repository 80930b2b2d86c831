-- usage_v1: monthly usage per account from raw product events.
-- Input relation: events(account_id, user_id, event, timestamp). Output matches the `usage` table.
-- active_users = distinct users in the month; dau = mean distinct users per active day;
-- core_actions = events whose name is in the configured core events (all events when none is set).
WITH e AS (
    SELECT trim(CAST(account_id AS VARCHAR)) AS account_id,
           CAST(user_id AS VARCHAR) AS user_id,
           CAST(event AS VARCHAR) AS event,
           CAST(timestamp AS TIMESTAMP) AS ts
    FROM events
), daily AS (
    SELECT account_id, strftime(ts, '%Y-%m') AS month, CAST(ts AS DATE) AS day,
           count(DISTINCT user_id) AS users
    FROM e GROUP BY ALL
), dau AS (
    SELECT account_id, month, avg(users) AS dau FROM daily GROUP BY ALL
)
SELECT e.account_id,
       strftime(e.ts, '%Y-%m') AS month,
       count(DISTINCT e.user_id) AS active_users,
       any_value(dau.dau) AS dau,
       count(DISTINCT e.user_id) AS mau,
       count(*) FILTER (WHERE e.event = 'api_call') AS api_calls,
       count(*) FILTER (WHERE $core_filter) AS core_actions
FROM e JOIN dau ON dau.account_id = e.account_id AND dau.month = strftime(e.ts, '%Y-%m')
GROUP BY e.account_id, strftime(e.ts, '%Y-%m')
ORDER BY 1, 2
