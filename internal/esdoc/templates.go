package esdoc

import (
	"encoding/json"
	"sort"
)

// TemplateVersion is the version field of the index templates this binary installs. Bump it with
// every mapping change: the feeder only PUTs a template when the installed one is older.
// 2: giveaway events carry verified_by.
const TemplateVersion = 2

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

// Templates returns the tweets and events index templates, text fields analysed by analyzer
// ("" means DefaultAnalyzer).
func Templates(analyzer string) []Template {
	if analyzer == "" {
		analyzer = DefaultAnalyzer
	}
	return []Template{
		template("giveaway-tweets", []string{"twitter-*"}, analyzer, TweetMapping(analyzer)),
		template("giveaway-events", []string{"giveaway-events-*"}, analyzer, EventMapping()),
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
)

func object(props map[string]any) map[string]any { return map[string]any{"properties": props} }

// TweetMapping maps tweet documents. IDs are keywords: tweet ids exceed 2^53 and would lose
// digits as numbers. dynamic=false keeps a stray field from growing the mapping; a test checks
// that every field the builder writes is mapped.
func TweetMapping(analyzer string) map[string]any {
	if analyzer == "" {
		analyzer = DefaultAnalyzer
	}
	return map[string]any{
		"dynamic": false,
		"properties": map[string]any{
			"@timestamp": date,
			"id_str":     keyword,
			"text":       map[string]any{"type": "text", "analyzer": analyzer},
			// v1.1 spelling; ignore_malformed so an odd value never rejects the document.
			"created_at": map[string]any{"type": "date", "format": "EEE MMM dd HH:mm:ss Z yyyy||strict_date_optional_time",
				"ignore_malformed": true},
			"user":     object(map[string]any{"screen_name": keyword, "id_str": keyword}),
			"entities": object(map[string]any{"hashtags": object(map[string]any{"text": keyword})}),
			"retweeted_status": object(map[string]any{
				"id_str":        keyword,
				"user":          object(map[string]any{"screen_name": keyword}),
				"retweet_count": long,
			}),
			"retweet_count":             long,
			"quote_count":               long,
			"lang":                      keyword,
			"in_reply_to_status_id_str": keyword,
			"quoted_status_id_str":      keyword,
			"hashtags_normalized":       keyword,
			"network":                   keyword,
			"is_retweet":                boolean,
			"eligible":                  boolean,
			"matched":                   boolean,
			"matched_claim":             keyword,
			"matched_claim_id":          keyword,
			"campaign":                  keyword,
			"hidden":                    boolean,
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
			"staff": keyword, "verified_by": keyword,
		},
	}
}

// Fields lists the leaf fields of a mapping as dotted paths with their types.
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
