-- Reaching a Live Photo's still reaches its motion part (services/access.py): the access
-- check looks the still up by the motion part's id.
CREATE INDEX assets_live_photo_video ON assets (live_photo_video_id)
    WHERE live_photo_video_id IS NOT NULL;
