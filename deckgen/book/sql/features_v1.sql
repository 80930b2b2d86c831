-- features_v1: monthly feature adoption per account from raw product events.
-- Each event name is a feature unless the config maps it (events.feature_map: {event: feature}).
WITH e AS (
    SELECT trim(CAST(account_id AS VARCHAR)) AS account_id,
           CAST(user_id AS VARCHAR) AS user_id,
           coalesce(m.feature, CAST(events.event AS VARCHAR)) AS feature,
           CAST(timestamp AS TIMESTAMP) AS ts
    FROM events LEFT JOIN feature_map m ON m.event = CAST(events.event AS VARCHAR)
)
SELECT account_id, strftime(ts, '%Y-%m') AS month, feature,
       count(*) AS events, count(DISTINCT user_id) AS users
FROM e GROUP BY ALL ORDER BY 1, 2, 3
