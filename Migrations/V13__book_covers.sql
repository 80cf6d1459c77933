-- A book's cover image, uploaded as multipart/form-data (`PUT /books/{id}/cover`).
CREATE TABLE book_covers (
    book_id      bigint PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
    content_type text NOT NULL,
    image        bytea NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
