package pages

import (
	"embed"
	"strings"
)

//go:embed queries/*.sql
var queryFS embed.FS

// SQL lives in queries/*.sql; a missing file fails at start, not on the first request.
var (
	qWallSettings    = mustQuery("wall_settings")
	qSetWallSettings = mustQuery("set_wall_settings")
	qWallPostsByID   = mustQuery("wall_posts_by_id")
	qWallLatest      = mustQuery("wall_latest")
	qWallCounts      = mustQuery("wall_counts")
	qTopHashtags     = mustQuery("top_hashtags")
	qWallPost        = mustQuery("wall_post")
	qHidePost        = mustQuery("hide_post")
	qApprovePost     = mustQuery("approve_post")
	qBlockPerson     = mustQuery("block_person")
	qUnblockPerson   = mustQuery("unblock_person")
	qBlockedPeople   = mustQuery("blocked_people")
	qRecentGives     = mustQuery("recent_gives")
	qCampaigns       = mustQuery("campaigns")
	qNotifyWall      = mustQuery("notify_wall")
	qAudit           = mustQuery("audit")
)

func mustQuery(name string) string {
	b, err := queryFS.ReadFile("queries/" + name + ".sql")
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}
