-- Uploaded documents (issue 10): agreements, deliverable and gap evidence, visit attachments.
-- Content-addressed: a document is its SHA-256 (64 lowercase hex digits), so the same file
-- uploaded twice is one row, and the events that attach it name it by that hash. Operational
-- rows, not the record: replay does not make them, and a row here is served only to someone
-- who may read a record naming its hash.
-- media_type is what the content was sniffed as, never what the browser claimed.
CREATE TABLE documents (
    sha256 TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The bytes of a document kept in the database (the embedded default), written in the same
-- transaction as its `documents` row, so a row never exists without its bytes. Hex text: the
-- schema has only TEXT and BIGINT columns on both databases (twice the size on disk; the
-- documents are at most 10 MiB). With a documents directory configured the bytes are a file
-- named by the hash instead, and this table stays empty.
CREATE TABLE document_contents (
    sha256 TEXT PRIMARY KEY REFERENCES documents (sha256),
    content_hex TEXT NOT NULL
);
