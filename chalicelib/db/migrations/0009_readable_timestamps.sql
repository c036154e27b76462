-- Timestamps psycopg cannot read back (outside years 1..9999 in UTC) made every listing
-- that selected their row answer 500. The API refuses them now; rows stored before are
-- clamped to the nearest instant that reads back. Idempotent: it touches only such rows.
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT table_name, column_name, data_type
        FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND data_type IN ('timestamp with time zone', 'timestamp without time zone')
          AND table_name IN (SELECT table_name FROM information_schema.tables
                             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
    LOOP
        IF col.data_type = 'timestamp with time zone' THEN
            EXECUTE format(
                'UPDATE %I SET %I = CASE WHEN %I < %L THEN %L::timestamptz ELSE %L::timestamptz END '
                'WHERE %I < %L OR %I >= %L',
                col.table_name, col.column_name, col.column_name,
                '0001-01-01 00:00:00+00', '0001-01-01 00:00:00+00',
                '9999-12-31 23:59:59.999999+00',
                col.column_name, '0001-01-01 00:00:00+00',
                col.column_name, '10000-01-01 00:00:00+00');
        ELSE
            EXECUTE format(
                'UPDATE %I SET %I = CASE WHEN %I < %L THEN %L::timestamp ELSE %L::timestamp END '
                'WHERE %I < %L OR %I >= %L',
                col.table_name, col.column_name, col.column_name,
                '0001-01-01 00:00:00', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999',
                col.column_name, '0001-01-01 00:00:00', col.column_name, '10000-01-01 00:00:00');
        END IF;
    END LOOP;
END
$$;
