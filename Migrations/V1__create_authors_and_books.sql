-- The Bookstore example's schema: authors and their books.
CREATE TABLE authors (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    bio        text CHECK (length(bio) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE books (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    -- Normalised: 10 or 13 characters, digits (and a final X for ISBN-10), no hyphens.
    isbn           text NOT NULL CONSTRAINT books_isbn_key UNIQUE,
    -- An author with books cannot be deleted (the API answers 409).
    author_id      bigint NOT NULL REFERENCES authors (id) ON DELETE RESTRICT,
    published_year integer,
    price          numeric(10, 2) CHECK (price >= 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX books_author_id_idx ON books (author_id);
