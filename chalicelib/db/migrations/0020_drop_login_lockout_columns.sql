-- Password guesses are counted in auth_throttle (0012, services/throttle.py) with a growing
-- delay instead of a lockout; the per-user lockout columns have been written and read by
-- nothing since.
ALTER TABLE users DROP COLUMN IF EXISTS failed_logins;
ALTER TABLE users DROP COLUMN IF EXISTS locked_until;
