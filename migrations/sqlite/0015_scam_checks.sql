-- The scam check's figures: how many forwarded messages were found to be of each fraud kind
-- ('none' when no kind was clear), per local day and per member's area (0: not a member, or no
-- area). Nothing of the message, nothing of the sender.
CREATE TABLE scam_checks (
    day      TEXT NOT NULL,
    category TEXT NOT NULL,
    area_id  INTEGER NOT NULL DEFAULT 0,
    checks   INTEGER NOT NULL,
    PRIMARY KEY (day, category, area_id)
);
