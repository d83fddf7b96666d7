-- Voice tips for people who cannot read an SMS.
--
-- people.medium: how a member gets tips, 'sms' (the default) or 'voice' (a call that plays the
-- recorded tip), chosen by SMS VOICE / SMS, the USSD menu, or a keypad consent on a call.
ALTER TABLE people ADD COLUMN medium TEXT NOT NULL DEFAULT 'sms' CHECK (medium IN ('sms', 'voice'));

-- The outbox gains two kinds: 'call' (a broadcast tip as a call: after replies, inside the
-- sending window, stopped by a STOP like 'bulk') and 'call_back' (a call a missed call asked for:
-- today's tip for a member, the consent notice for anyone else). A call carries the tip it plays
-- (tip_id, NULL for the consent notice) and the language it plays it in.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('reply', 'confirmation', 'invite', 'bulk', 'call', 'call_back'));
ALTER TABLE outbox ADD COLUMN tip_id BIGINT;
ALTER TABLE outbox ADD COLUMN language TEXT CHECK (language IN ('hi', 'hne', 'en'));
ALTER TABLE outbox ADD CONSTRAINT outbox_call_language
    CHECK ((kind IN ('call', 'call_back')) = (language IS NOT NULL));
