-- Every inserted book is announced on the channel `book_changes` with its id as payload.
-- Listeners (each Bookstore instance's change feed) receive it when the transaction commits,
-- which is how a long poll on one instance is completed by an insert through another.
CREATE FUNCTION notify_book_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('book_changes', NEW.id::text);
    RETURN NEW;
END;
$$;

CREATE TRIGGER books_notify_insert
    AFTER INSERT ON books
    FOR EACH ROW EXECUTE FUNCTION notify_book_inserted();
