-- One notification per statement rather than per row: a bulk import (`POST /books/import`,
-- COPY) of ten million books sends one `book_changes` with the highest new id, not ten
-- million. The listeners' meaning is unchanged: "books up to this id exist"; each instance
-- re-reads the books after every key below it.
DROP TRIGGER books_notify_insert ON books;
DROP FUNCTION notify_book_inserted();

CREATE FUNCTION notify_books_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
BEGIN
    SELECT max(id) INTO newest FROM inserted;
    IF newest IS NOT NULL THEN
        PERFORM pg_notify('book_changes', newest::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER books_notify_insert
    AFTER INSERT ON books
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION notify_books_inserted();
