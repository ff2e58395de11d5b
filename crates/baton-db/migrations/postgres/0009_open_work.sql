-- Each person's open work items (assigned or accepted), kept by triggers so
-- that routing reads a member's load instead of counting their items.
CREATE TABLE open_work (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    items   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO open_work (user_id, items)
SELECT u.id, (SELECT COUNT(*) FROM work_items w
              WHERE w.assignee_id = u.id AND w.status IN ('assigned', 'accepted'))
FROM users u;

CREATE FUNCTION open_work_for_new_user() RETURNS trigger AS $$
BEGIN
    INSERT INTO open_work (user_id, items) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_open_work AFTER INSERT ON users
FOR EACH ROW EXECUTE FUNCTION open_work_for_new_user();

CREATE FUNCTION count_open_work() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.assignee_id IS NOT NULL
       AND OLD.status IN ('assigned', 'accepted') THEN
        UPDATE open_work SET items = items - 1 WHERE user_id = OLD.assignee_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.assignee_id IS NOT NULL
       AND NEW.status IN ('assigned', 'accepted') THEN
        UPDATE open_work SET items = items + 1 WHERE user_id = NEW.assignee_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER work_items_open_work
AFTER INSERT OR UPDATE OF assignee_id, status OR DELETE ON work_items
FOR EACH ROW EXECUTE FUNCTION count_open_work();
