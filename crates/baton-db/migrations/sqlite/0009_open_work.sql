-- Each person's open work items (assigned or accepted), kept by triggers so
-- that routing reads a member's load instead of counting their items.
CREATE TABLE open_work (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    items   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO open_work (user_id, items)
SELECT u.id, (SELECT COUNT(*) FROM work_items w
              WHERE w.assignee_id = u.id AND w.status IN ('assigned', 'accepted'))
FROM users u;

CREATE TRIGGER users_open_work AFTER INSERT ON users
BEGIN
    INSERT INTO open_work (user_id, items) VALUES (NEW.id, 0);
END;

CREATE TRIGGER work_items_open_on_insert AFTER INSERT ON work_items
WHEN NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted')
BEGIN
    UPDATE open_work SET items = items + 1 WHERE user_id = NEW.assignee_id;
END;

CREATE TRIGGER work_items_open_on_leave AFTER UPDATE OF assignee_id, status ON work_items
WHEN OLD.assignee_id IS NOT NULL AND OLD.status IN ('assigned', 'accepted')
BEGIN
    UPDATE open_work SET items = items - 1 WHERE user_id = OLD.assignee_id;
END;

CREATE TRIGGER work_items_open_on_enter AFTER UPDATE OF assignee_id, status ON work_items
WHEN NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted')
BEGIN
    UPDATE open_work SET items = items + 1 WHERE user_id = NEW.assignee_id;
END;

CREATE TRIGGER work_items_open_on_delete AFTER DELETE ON work_items
WHEN OLD.assignee_id IS NOT NULL AND OLD.status IN ('assigned', 'accepted')
BEGIN
    UPDATE open_work SET items = items - 1 WHERE user_id = OLD.assignee_id;
END;
