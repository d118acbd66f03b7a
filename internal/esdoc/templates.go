package esdoc

import (
	"encoding/json"
	"sort"
)

// TemplateVersion is the version field of the index templates this binary installs. Bump it with
// every mapping change: the feeder only PUTs a template when the installed one is older.
// 2: giveaway events carry verified_by. 3: no tweets template (tweets indexes are created one by
// one, so nothing of ours applies to an index we do not write); events carry stock_left.
const TemplateVersion = 3

// DefaultAnalyzer is the analyzer of text fields: the built-in cjk analyzer splits Korean,
// Japanese and Chinese into bigrams and needs no plugin. Where the analysis-nori plugin is
// installed, "nori" gives proper Korean morphology (see deploy/README.md).
const DefaultAnalyzer = "cjk"

// Template is one composable index template.
type Template struct {
	Name string
	// Patterns are the index patterns it applies to.
	Patterns []string
	Body     map[string]any
}

// RetiredTemplates are templates earlier versions installed and this one removes: the tweets
// template claimed every twitter-* index in the cluster, Logstash's included.
var RetiredTemplates = []string{"giveaway-tweets"}

// Templates returns the index templates: only the events indexes, whose giveaway-events- prefix
// is this service's own. Tweets indexes are named per campaign and often share a cluster (and a
// name prefix) with a Logstash pipeline's, so no pattern claims them: the feeder creates each
// one with TweetMapping before its first document, or writes into it as it is when it exists.
func Templates(analyzer string) []Template {
	if analyzer == "" {
		analyzer = DefaultAnalyzer
	}
	return []Template{
		template("giveaway-events", []string{EventsIndex("*")}, analyzer, EventMapping()),
	}
}

func template(name string, patterns []string, analyzer string, mappings map[string]any) Template {
	return Template{Name: name, Patterns: patterns, Body: map[string]any{
		"index_patterns": patterns,
		// Above the built-in templates (100) so a broad pattern elsewhere cannot shadow ours.
		"priority": 200,
		"version":  TemplateVersion,
		// The analyzer is recorded so switching it re-installs the template at the same version.
		"_meta":    map[string]any{"managed_by": "giveaway", "analyzer": analyzer},
		"template": IndexBody(mappings),
	}}
}

// IndexBody is the body of PUT /{index} for an index created explicitly, for names the templates'
// patterns do not cover (a campaign may name its own tweets index).
func IndexBody(mappings map[string]any) map[string]any {
	return map[string]any{
		"settings": map[string]any{"index": map[string]any{"number_of_shards": 1}},
		"mappings": mappings,
	}
}

var (
	keyword = map[string]any{"type": "keyword"}
	boolean = map[string]any{"type": "boolean"}
	long    = map[string]any{"type": "long"}
	date    = map[string]any{"type": "date"}
	// str is how Logstash's template (and Elasticsearch's default dynamic mapping) maps a string:
	// text to search, a .keyword subfield to aggregate. Old indexes have it so; ours agree.
	str = map[string]any{"type": "text", "norms": false,
		"fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 256}}}
)

func object(props map[string]any) map[string]any { return map[string]any{"properties": props} }

// TweetMapping maps tweet documents the way a Logstash-fed index maps the same fields: strings as
// text with a .keyword subfield (a dynamic template, like Logstash's, for every string field of
// the status), counts and numeric ids as long; the fields the dashboard uses are spelled out so
// they never depend on which document came first. Differences: text is analysed by analyzer,
// created_at is a date (an old index has it as a string until giveaway es reindex-legacy), and
// the service's own fields under giveaway are keywords and booleans.
func TweetMapping(analyzer string) map[string]any {
	if analyzer == "" {
		analyzer = DefaultAnalyzer
	}
	text := map[string]any{"type": "text", "norms": false, "analyzer": analyzer,
		"fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 256}}}
	user := object(map[string]any{"id": long, "id_str": str, "screen_name": str, "name": str,
		"followers_count": long, "friends_count": long, "statuses_count": long})
	return map[string]any{
		"dynamic_templates": []any{map[string]any{"string_fields": map[string]any{
			"match": "*", "match_mapping_type": "string", "mapping": str}}},
		"properties": map[string]any{
			"@timestamp": date,
			"@version":   keyword,
			"id":         long,
			"id_str":     str,
			"text":       text,
			// v1.1 spelling; ignore_malformed so an odd value never rejects the document.
			"created_at": map[string]any{"type": "date", "format": "EEE MMM dd HH:mm:ss Z yyyy||strict_date_optional_time",
				"ignore_malformed": true},
			"timestamp_ms": str,
			"source":       str,
			"lang":         str,
			"user":         user,
			"entities": object(map[string]any{
				"hashtags":      object(map[string]any{"text": str}),
				"user_mentions": object(map[string]any{"screen_name": str, "id_str": str}),
				"urls":          object(map[string]any{"expanded_url": str}),
			}),
			"retweeted_status": object(map[string]any{
				"id":            long,
				"id_str":        str,
				"text":          text,
				"user":          object(map[string]any{"screen_name": str, "id_str": str}),
				"retweet_count": long,
			}),
			"retweet_count":             long,
			"favorite_count":            long,
			"quote_count":               long,
			"reply_count":               long,
			"in_reply_to_status_id_str": str,
			"quoted_status_id_str":      str,
			ServiceField: object(map[string]any{
				"campaign": keyword, "network": keyword, "hashtags_normalized": keyword,
				"is_retweet": boolean, "eligible": boolean, "matched": boolean, "matched_claim": keyword,
				"matched_claim_id": keyword, "proof": keyword, "hidden": boolean,
			}),
		},
	}
}

// EventMapping maps giveaway event documents.
func EventMapping() map[string]any {
	return map[string]any{
		"dynamic": false,
		"properties": map[string]any{
			"@timestamp": date, "at": date, "audit_id": keyword, "action": keyword, "actor": keyword,
			"campaign": keyword, "claim_id": keyword, "claim_code": keyword, "network": keyword,
			"handle": keyword, "tweet_id": keyword, "prize": keyword, "prize_name": keyword,
			"staff": keyword, "verified_by": keyword, "stock_left": long,
		},
	}
}

// Fields lists the leaf fields of a mapping as dotted paths with their types, multi-fields
// (text.keyword) included.
func Fields(mapping map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, props map[string]any)
	walk = func(prefix string, props map[string]any) {
		for name, v := range props {
			m := v.(map[string]any)
			if sub, ok := m["properties"].(map[string]any); ok {
				walk(prefix+name+".", sub)
				continue
			}
			out[prefix+name], _ = m["type"].(string)
			if subs, ok := m["fields"].(map[string]any); ok {
				for sn, sv := range subs {
					out[prefix+name+"."+sn], _ = sv.(map[string]any)["type"].(string)
				}
			}
		}
	}
	if props, ok := mapping["properties"].(map[string]any); ok {
		walk("", props)
	}
	return out
}

// DocFields lists the leaf paths a JSON document sets (arrays of objects are walked through).
func DocFields(doc []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix, e)
			}
		default:
			set[prefix] = true
		}
	}
	walk("", v)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}
