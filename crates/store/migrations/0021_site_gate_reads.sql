-- Opening a case judges one site's gate for one program (issue 11): the signatures on that
-- site's map versions and the open gaps on the facilities serving it are read by version and
-- by facility, not every row of the partnership.
CREATE INDEX site_map_signatures_version ON site_map_signatures (site_map_version_id);
CREATE INDEX gaps_facility ON gaps (facility_id, status);
