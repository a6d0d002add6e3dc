-- Name-token counts (0002) are kept by the key the engine derives from a token
-- (`domain/names.token_key`). When that derivation changes, the same name gets another key and
-- the old rows would count it under a key no token has any more: each row now says which
-- derivation made it (`TOKEN_KEY_VERSION`), and only the current one is read. The rows so far
-- were made by the first.
ALTER TABLE name_token_counts ADD COLUMN key_version integer NOT NULL DEFAULT 1;
ALTER TABLE name_token_counts ALTER COLUMN key_version DROP DEFAULT;
ALTER TABLE name_token_counts DROP CONSTRAINT name_token_counts_pkey;
ALTER TABLE name_token_counts ADD PRIMARY KEY (key_version, token_key);
