-- The month list counts what the timeline shows. Motion parts of Live Photos (visibility
-- 'hidden') are left out of timeline_months here; stacked assets hidden behind their
-- primary depend on the primary's state, so the month list subtracts those when it reads.
CREATE OR REPLACE FUNCTION timeline_months_select(source text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format(
    'SELECT owner_id, date_trunc(''month'','
    ' coalesce(local_date_time, file_created_at) AT TIME ZONE ''UTC'') AS month,'
    ' is_archived, is_favorite, trashed_at IS NOT NULL AS is_trashed, sum(sign) AS count'
    ' FROM (%s) changed WHERE status = ''ready'' AND visibility = ''timeline'''
    ' GROUP BY 1, 2, 3, 4, 5', source)
$$;

TRUNCATE timeline_months;
DO $$
BEGIN
    EXECUTE format('INSERT INTO timeline_months %s',
                   timeline_months_select('SELECT 1 AS sign, * FROM assets'));
END
$$;
