-- "Email me a sign-in code" requests. The request writes one row for
-- every address alike and answers; a task sends the code afterwards when
-- the address belongs to a guest, so the answer takes the same time either
-- way and says nothing about which addresses exist.
CREATE TABLE sign_in_code_requests (
    id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    requested_at BIGINT NOT NULL
);
CREATE INDEX sign_in_code_requests_order_idx ON sign_in_code_requests (requested_at, id);
CREATE INDEX sign_in_code_requests_address_idx ON sign_in_code_requests (address);
