package esfeed

// Outbox kinds: what an outbox row names, which decides what the feeder sends. The SQL that
// writes outbox rows spells them out (and the table's CHECK lists them);
// TestOutboxKindsAreTheOnesTheSQLWrites keeps the three in step.
const (
	KindTweet = "tweet" // a stored post: ref_network and ref_id are its network and id
	KindEvent = "event" // a giveaway event: ref_id is its audit_log id
)

// Kinds is every outbox kind.
var Kinds = []string{KindTweet, KindEvent}
