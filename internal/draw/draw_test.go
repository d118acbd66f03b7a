package draw

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func pool(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("e%06d", i)
	}
	return out
}

func seedOf(i int) []byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	return s[:]
}

func TestSamePoolAndSeedGiveTheSameWinners(t *testing.T) {
	p := pool(1000)
	a := Draw(p, Key(seedOf(1), ""), 3, 5)
	b := Draw(slices.Clone(p), Key(seedOf(1), ""), 3, 5)
	if !slices.Equal(a.Winners, b.Winners) || !slices.Equal(a.Backups, b.Backups) {
		t.Fatalf("same pool and seed, different draws: %v / %v", a, b)
	}
	if len(a.Winners) != 3 || len(a.Backups) != 5 {
		t.Fatalf("want 3 winners and 5 backups, got %v", a)
	}
	all := slices.Concat(a.Winners, a.Backups)
	slices.Sort(all)
	if len(slices.Compact(all)) != 8 {
		t.Fatalf("someone drawn twice: %v", a)
	}
	if c := Draw(p, Key(seedOf(2), ""), 3, 5); slices.Equal(c.Winners, a.Winners) {
		t.Fatalf("another seed drew the same winners %v", c.Winners)
	}
	if c := Draw(p, Key(seedOf(1), "drand round 123: abcdef"), 3, 5); slices.Equal(c.Winners, a.Winners) {
		t.Fatalf("a beacon left the winners as they were: %v", c.Winners)
	}
	// A pool smaller than winners+backups: everyone is drawn, winners first.
	small := Draw(pool(4), Key(seedOf(1), ""), 3, 5)
	if len(small.Winners) != 3 || len(small.Backups) != 1 {
		t.Fatalf("pool of 4, 3 winners + 5 backups: got %v", small)
	}
}

// The documented algorithm, written out from the README's steps with a full array, agrees with
// the sparse shuffle the service and the verifier run.
func TestSparseShuffleIsTheDocumentedFisherYates(t *testing.T) {
	p := pool(50)
	for s := range 20 {
		key := Key(seedOf(s), "")
		a := slices.Clone(p)
		st := NewStream(key)
		for i := range 10 {
			j := i + int(st.Below(uint64(len(a)-i)))
			a[i], a[j] = a[j], a[i]
		}
		got := Draw(p, key, 4, 6)
		if !slices.Equal(slices.Concat(got.Winners, got.Backups), a[:10]) {
			t.Fatalf("seed %d: sparse %v, full %v", s, got, a[:10])
		}
	}
}

func TestOneEntrantChangedChangesThePoolHash(t *testing.T) {
	p := pool(100)
	h1, err := PoolHash(p)
	if err != nil {
		t.Fatal(err)
	}
	q := slices.Clone(p)
	q[42] = "e000042x"
	h2, err := PoolHash(q)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Fatal("changing an entrant kept the pool hash")
	}
	// The canonical form is exactly the sorted ids, one a line.
	want := sha256.Sum256([]byte(strings.Join(p, "\n") + "\n"))
	if h1 != fmt.Sprintf("%x", want) {
		t.Fatalf("pool hash %s is not SHA-256 of the ids one a line", h1)
	}
	if _, err := PoolHash([]string{"b", "a"}); err == nil {
		t.Fatal("an unsorted pool was hashed")
	}
	if _, err := PoolHash([]string{"a", "a"}); err == nil {
		t.Fatal("a pool with a repeat was hashed")
	}
	if _, err := PoolHash([]string{"a\nb"}); err == nil {
		t.Fatal("an id with a newline was hashed")
	}
}

func TestASeedThatDoesNotMatchTheCommitIsRefused(t *testing.T) {
	commit := Commit(seedOf(1))
	if _, err := DecodeSeed(fmt.Sprintf("%x", seedOf(1)), commit); err != nil {
		t.Fatalf("the committed seed was refused: %v", err)
	}
	if _, err := DecodeSeed(fmt.Sprintf("%x", seedOf(2)), commit); err != ErrSeedMismatch {
		t.Fatalf("another seed: want ErrSeedMismatch, got %v", err)
	}
	if _, err := DecodeSeed("zz", commit); err == nil {
		t.Fatal("a seed that is not hex was accepted")
	}
}

// published draws a pool and returns what the API would publish, as JSON.
func published(t *testing.T, p []string, beacon string) map[string]any {
	t.Helper()
	seed := seedOf(7)
	r := Draw(p, Key(seed, beacon), 2, 3)
	h, _ := PoolHash(p)
	picks := func(ids []string) []any {
		out := []any{}
		for _, id := range ids {
			out = append(out, map[string]any{"entry_id": id, "handle": "someone"})
		}
		return out
	}
	return map[string]any{"id": 1, "state": "revealed", "algorithm": Algorithm, "entrants": len(p),
		"pool_hash": h, "seed_commit": Commit(seed), "seed": fmt.Sprintf("%x", seed), "beacon": beacon,
		"winners": picks(r.Winners), "backups": picks(r.Backups), "pool": p}
}

// encode writes the document with pool last, as the API does.
func encode(t *testing.T, doc map[string]any) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for _, k := range []string{"id", "state", "algorithm", "entrants", "pool_hash", "seed_commit", "seed", "beacon", "winners", "backups", "pool"} {
		v, err := json.Marshal(doc[k])
		if err != nil {
			t.Fatal(err)
		}
		if k != "id" {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	b.WriteString("}")
	return b.Bytes()
}

func TestVerifyFailsOnAnyTamperedInput(t *testing.T) {
	p := pool(500)
	good := published(t, p, "beacon-value")
	if _, err := VerifyJSON(bytes.NewReader(encode(t, good))); err != nil {
		t.Fatalf("an honest draw failed to verify: %v", err)
	}
	tamper := map[string]func(d map[string]any){
		"pool entry":   func(d map[string]any) { q := slices.Clone(p); q[10] = "e000010z"; d["pool"] = q },
		"pool dropped": func(d map[string]any) { d["pool"] = p[1:] },
		"pool added":   func(d map[string]any) { d["pool"] = append(slices.Clone(p), "zzz") },
		"entrants":     func(d map[string]any) { d["entrants"] = len(p) - 1 },
		"pool hash":    func(d map[string]any) { d["pool_hash"] = strings.Repeat("0", 64) },
		"seed":         func(d map[string]any) { d["seed"] = fmt.Sprintf("%x", seedOf(8)) },
		"seed commit":  func(d map[string]any) { d["seed_commit"] = Commit(seedOf(8)) },
		"beacon":       func(d map[string]any) { d["beacon"] = "another-beacon" },
		"algorithm":    func(d map[string]any) { d["algorithm"] = "giveaway-draw-v0" },
		"winner": func(d map[string]any) {
			w := slices.Clone(d["winners"].([]any))
			w[0] = map[string]any{"entry_id": p[0]}
			if w[0].(map[string]any)["entry_id"] == good["winners"].([]any)[0].(map[string]any)["entry_id"] {
				w[0] = map[string]any{"entry_id": p[1]}
			}
			d["winners"] = w
		},
		"winners swapped": func(d map[string]any) {
			w := slices.Clone(d["winners"].([]any))
			w[0], w[1] = w[1], w[0]
			d["winners"] = w
		},
		"backup dropped": func(d map[string]any) { d["backups"] = d["backups"].([]any)[1:] },
		"unsorted pool": func(d map[string]any) {
			q := slices.Clone(p)
			q[3], q[4] = q[4], q[3]
			d["pool"] = q
		},
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			d := map[string]any{}
			for k, v := range good {
				d[k] = v
			}
			f(d)
			if _, err := VerifyJSON(bytes.NewReader(encode(t, d))); err == nil {
				t.Fatal("a tampered draw verified")
			}
		})
	}
	// Before the reveal there is nothing to verify, and verify says so.
	early := `{"state": "committed", "seed": null, "pool": ["a", "b"]}`
	if _, err := VerifyJSON(strings.NewReader(early)); err == nil || !strings.Contains(err.Error(), "committed") {
		t.Fatalf("a committed draw: want an error naming the state, got %v", err)
	}
}

// chiSquareLimit is the chi-square value that a uniform draw exceeds with probability below
// about 1e-9 (Wilson–Hilferty with z = 6.2): a correct algorithm cannot plausibly fail it.
func chiSquareLimit(df int) float64 {
	d := float64(df)
	z := 6.2
	return d * math.Pow(1-2/(9*d)+z*math.Sqrt(2/(9*d)), 3)
}

func chiSquare(counts []int, total int) float64 {
	want := float64(total) / float64(len(counts))
	x := 0.0
	for _, c := range counts {
		x += (float64(c) - want) * (float64(c) - want) / want
	}
	return x
}

// firstPicks counts, over many seeds, which entrant of n each of the first k draw positions got.
func firstPicks(n, k, seeds int, pick func(key []byte, n, k int) []int) [][]int {
	counts := make([][]int, k)
	for i := range counts {
		counts[i] = make([]int, n)
	}
	for s := range seeds {
		for i, p := range pick(Key(seedOf(s), ""), n, k) {
			counts[i][p]++
		}
	}
	return counts
}

// moduloBiased is Picks with the classic mistake: a random byte mod the range, without rejection.
func moduloBiased(key []byte, n, k int) []int {
	s := NewStream(key)
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + int(s.Word()>>56)%(n-i)
		a[i], a[j] = a[j], a[i]
	}
	return a[:k]
}

// naive swaps every slot with any slot (j over the whole pool): n^n paths onto n! orders, so
// some orders are likelier.
func naive(key []byte, n, k int) []int {
	s := NewStream(key)
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	for i := range n {
		j := int(s.Below(uint64(n)))
		a[i], a[j] = a[j], a[i]
	}
	return a[:k]
}

// Every entrant is as likely to be drawn at each position: over 40 000 seeds with a fixed pool the
// counts pass a chi-square test at a level a fair draw fails once in a billion runs, a level the
// modulo-biased and the naive shuffles above still fail.
func TestTheDrawIsUniform(t *testing.T) {
	const seeds = 40000
	check := func(name string, n, k int, pick func([]byte, int, int) []int) (worst float64) {
		for pos, c := range firstPicks(n, k, seeds, pick) {
			x := chiSquare(c, seeds)
			limit := chiSquareLimit(n - 1)
			worst = max(worst, x/limit)
			t.Logf("%s: n=%d position %d: chi-square %.1f (limit %.1f)", name, n, pos, x, limit)
		}
		return worst
	}
	// 160 entrants: a byte mod 160 makes the first 96 twice as likely.
	if w := check("draw", 160, 2, Picks); w >= 1 {
		t.Fatalf("the draw is not uniform over 160 entrants")
	}
	if w := check("modulo-biased", 160, 2, moduloBiased); w < 1 {
		t.Fatalf("the test cannot tell a modulo-biased draw (worst %.2f of the limit)", w)
	}
	// 4 entrants, the whole order: the naive shuffle's bias shows from the second position on.
	if w := check("draw", 4, 4, Picks); w >= 1 {
		t.Fatalf("the draw is not uniform over 4 entrants")
	}
	if w := check("naive", 4, 4, naive); w < 1 {
		t.Fatalf("the test cannot tell a naive shuffle (worst %.2f of the limit)", w)
	}
}

func BenchmarkPicks1M(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Picks(Key(seedOf(i), ""), 1_000_000, 20)
	}
}
