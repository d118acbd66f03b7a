package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// No Docker engine runs where the tests run, so docker-compose.yml is checked as a document: the
// stack the README promises (app, PostgreSQL, Elasticsearch 8 single node with a health check,
// Kibana, the one-shot dashboard import), started in an order that works.
func TestComposeFileDescribesTheStack(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Image       string                       `yaml:"image"`
		Build       map[string]string            `yaml:"build"`
		Command     any                          `yaml:"command"`
		Environment map[string]string            `yaml:"environment"`
		DependsOn   map[string]map[string]string `yaml:"depends_on"`
		Healthcheck map[string]any               `yaml:"healthcheck"`
		Volumes     []string                     `yaml:"volumes"`
		Ports       []string                     `yaml:"ports"`
		Ulimits     map[string]any               `yaml:"ulimits"`
	}
	var doc struct {
		Services map[string]service `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	s := doc.Services
	for _, name := range []string{"postgres", "elasticsearch", "kibana", "kibana-setup", "migrate", "app"} {
		if _, ok := s[name]; !ok {
			t.Fatalf("no %s service", name)
		}
	}
	for _, name := range []string{"postgres", "elasticsearch", "kibana"} {
		if s[name].Healthcheck["test"] == nil {
			t.Errorf("%s has no health check; the services after it cannot wait for it", name)
		}
	}
	if !strings.HasPrefix(s["elasticsearch"].Image, "docker.elastic.co/elasticsearch/elasticsearch:8.") ||
		s["elasticsearch"].Environment["discovery.type"] != "single-node" {
		t.Errorf("elasticsearch: %+v", s["elasticsearch"])
	}
	if !strings.HasPrefix(s["kibana"].Image, "docker.elastic.co/kibana/kibana:8.") {
		t.Errorf("kibana image %s", s["kibana"].Image)
	}
	waits := func(svc, on, cond string) {
		if got := s[svc].DependsOn[on]["condition"]; got != cond {
			t.Errorf("%s waits for %s with %q, want %q", svc, on, got, cond)
		}
	}
	waits("kibana", "elasticsearch", "service_healthy")
	waits("kibana-setup", "kibana", "service_healthy")
	waits("migrate", "postgres", "service_healthy")
	waits("app", "migrate", "service_completed_successfully")
	waits("app", "elasticsearch", "service_healthy")

	// The app and the migration are this repository's binary, configured for the stack.
	for _, name := range []string{"migrate", "app"} {
		app := s[name]
		if app.Build["dockerfile"] == "" {
			t.Fatalf("%s is not built from the repository", name)
		}
		if _, err := os.Stat(filepath.Join("../..", app.Build["dockerfile"])); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		pg := s["postgres"].Environment
		wantDB := "postgres://" + pg["POSTGRES_USER"] + ":" + pg["POSTGRES_PASSWORD"] + "@postgres:5432/" + pg["POSTGRES_DB"]
		if !strings.HasPrefix(app.Environment["DATABASE_URL"], wantDB) {
			t.Errorf("%s DATABASE_URL %q does not reach the postgres service (%s)", name, app.Environment["DATABASE_URL"], wantDB)
		}
		if app.Environment["ELASTICSEARCH_URL"] != "http://elasticsearch:9200" {
			t.Errorf("%s ELASTICSEARCH_URL %q", name, app.Environment["ELASTICSEARCH_URL"])
		}
	}
	if cmd, _ := s["app"].Command.([]any); len(cmd) != 1 || cmd[0] != "serve" {
		t.Errorf("app runs %v, want serve", s["app"].Command)
	}
	if cmd, _ := s["migrate"].Command.([]any); len(cmd) != 1 || cmd[0] != "migrate" {
		t.Errorf("migrate runs %v, want migrate", s["migrate"].Command)
	}
	// Every variable the app is given is one the binary reads: a typo would be silently ignored.
	var read string
	for _, f := range append(newApp().Flags, serveCommand().Flags...) {
		read += " " + f.String() // names its variables as [$NAME]
	}
	for key := range s["app"].Environment {
		if !strings.Contains(read, "$"+key+"]") {
			t.Errorf("app is given %s, which giveaway serve does not read", key)
		}
	}
	// The setup container imports the dashboard kept in the repository.
	setup := s["kibana-setup"]
	if len(setup.Volumes) == 0 || !strings.HasPrefix(setup.Volumes[0], "./deploy/kibana:") ||
		!strings.Contains(strings.Join(toStrings(setup.Command), " "), "_import?overwrite=true") {
		t.Errorf("kibana-setup: %+v", setup)
	}
	if _, err := os.Stat("../../deploy/kibana/dashboard.ndjson"); err != nil {
		t.Error(err)
	}

	// Operations (issue 13): nothing published beyond the host (Elasticsearch and Kibana run
	// without security; the index holds handles and claim codes); no default token anyone could
	// guess; the app's health is checked by the binary itself (the image has no shell); ES and
	// Kibana at the Go client's version; memlock only with bootstrap.memory_lock.
	for name, svc := range s {
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %q on every interface, want 127.0.0.1:...", name, p)
			}
		}
		if _, ok := svc.Ulimits["memlock"]; ok && svc.Environment["bootstrap.memory_lock"] != "true" {
			t.Errorf("%s raises memlock without bootstrap.memory_lock", name)
		}
	}
	for _, name := range []string{"migrate", "app"} {
		for _, key := range []string{"ADMIN_TOKEN", "INGEST_TOKEN"} {
			if v := s[name].Environment[key]; !strings.HasPrefix(v, "${"+key+":?") {
				t.Errorf("%s %s = %q, want ${%s:?...} (required, no default)", name, key, v, key)
			}
		}
	}
	hc := toStrings(s["app"].Healthcheck["test"])
	if len(hc) != 3 || hc[0] != "CMD" || hc[1] != "/giveaway" || hc[2] != "healthcheck" {
		t.Errorf("app health check %v, want [CMD /giveaway healthcheck]", hc)
	}
	if newApp().Command("healthcheck") == nil {
		t.Error("giveaway has no healthcheck command")
	}
	if df, _ := os.ReadFile("../../deploy/Dockerfile"); !strings.Contains(string(df), `ENTRYPOINT ["/giveaway"]`) {
		t.Error("the image's binary is not /giveaway")
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	client := regexp.MustCompile(`github.com/elastic/go-elasticsearch/v8 v(\S+)`).FindSubmatch(gomod)
	if client == nil {
		t.Fatal("go.mod has no go-elasticsearch")
	}
	for _, name := range []string{"elasticsearch", "kibana"} {
		if _, tag, _ := strings.Cut(s[name].Image, ":"); tag != string(client[1]) {
			t.Errorf("%s runs %s, the client is %s", name, tag, client[1])
		}
	}
}

func toStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
