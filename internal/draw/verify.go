package draw

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Published is what a revealed draw publishes, less its pool, which streams through a Verifier.
type Published struct {
	Algorithm  string
	Entrants   int
	PoolHash   string
	SeedCommit string
	Seed       string
	Beacon     string
	Winners    []string // entry ids, in the order drawn
	Backups    []string
}

// Verifier recomputes a published draw while its pool streams through it: it keeps the pool's
// hash and only the entries at the drawn positions, never the pool.
type Verifier struct {
	pub    Published
	hasher *PoolHasher
	want   map[int]int // position in the pool → index in the drawn order
	drawn  []string
}

// NewVerifier checks the algorithm and the seed against the commit and works out which positions
// of the pool were drawn.
func NewVerifier(p Published) (*Verifier, error) {
	if p.Algorithm != Algorithm {
		return nil, fmt.Errorf("unknown algorithm %q (this verifier knows %q)", p.Algorithm, Algorithm)
	}
	if p.Entrants < 0 {
		return nil, errors.New("entrants is negative")
	}
	seed, err := DecodeSeed(p.Seed, p.SeedCommit)
	if err != nil {
		return nil, err
	}
	picks := Picks(Key(seed, p.Beacon), p.Entrants, len(p.Winners)+len(p.Backups))
	v := &Verifier{pub: p, hasher: NewPoolHasher(), want: make(map[int]int, len(picks)), drawn: make([]string, len(picks))}
	for i, pos := range picks {
		v.want[pos] = i
	}
	return v, nil
}

// Add takes the pool's next entry id.
func (v *Verifier) Add(id string) error {
	if i, ok := v.want[v.hasher.Len()]; ok {
		v.drawn[i] = id
	}
	return v.hasher.Add(id)
}

// Finish says whether everything recomputed: the count, the pool hash, the winners and backups.
func (v *Verifier) Finish() error {
	p := v.pub
	if n := v.hasher.Len(); n != p.Entrants {
		return fmt.Errorf("the pool has %d entries, the draw says %d", n, p.Entrants)
	}
	if got := v.hasher.Sum(); got != p.PoolHash {
		return fmt.Errorf("the pool hashes to %s, the draw says %s", got, p.PoolHash)
	}
	k := min(p.Entrants, len(p.Winners)+len(p.Backups))
	want := slices.Concat(p.Winners, p.Backups)
	if len(want) != k || !slices.Equal(v.drawn[:k], want) {
		w := min(len(p.Winners), k)
		return fmt.Errorf("the seed draws winners %v and backups %v, the draw says %v and %v",
			v.drawn[:w], v.drawn[w:k], p.Winners, p.Backups)
	}
	return nil
}

// Verify recomputes a published draw with its whole pool in hand.
func Verify(p Published, pool []string) error {
	v, err := NewVerifier(p)
	if err != nil {
		return err
	}
	for _, id := range pool {
		if err := v.Add(id); err != nil {
			return err
		}
	}
	return v.Finish()
}

// VerifyJSON recomputes a draw from its public JSON (GET /api/v1/draws/{id}) as it streams: the
// pool array is read one entry at a time, so it must come after the fields above it (the API
// writes it last). Fields: algorithm, entrants, pool_hash, seed_commit, seed, beacon, winners and
// backups (arrays of objects with entry_id), pool (an array of entry ids). It answers what it
// verified.
func VerifyJSON(r io.Reader) (Published, error) {
	var p Published
	err := verifyJSON(r, &p)
	return p, err
}

func verifyJSON(r io.Reader, out *Published) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	p := out
	var state string
	sawPool := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var dst any
		switch key {
		case "algorithm":
			dst = &p.Algorithm
		case "entrants":
			dst = &p.Entrants
		case "pool_hash":
			dst = &p.PoolHash
		case "seed_commit":
			dst = &p.SeedCommit
		case "seed":
			dst = &p.Seed
		case "beacon":
			dst = &p.Beacon
		case "state":
			dst = &state
		case "winners", "backups":
			var picks []struct {
				EntryID string `json:"entry_id"`
			}
			if err := dec.Decode(&picks); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			ids := make([]string, len(picks))
			for i, x := range picks {
				ids[i] = x.EntryID
			}
			if key == "winners" {
				p.Winners = ids
			} else {
				p.Backups = ids
			}
			continue
		case "pool":
			if p.Seed == "" {
				if state != "" && state != "revealed" {
					return fmt.Errorf("the draw is %s: there is nothing to verify before the reveal", state)
				}
				return errors.New("the pool comes before the seed, winners and backups: put it last")
			}
			if err := streamPool(dec, *p); err != nil {
				return err
			}
			sawPool = true
			continue
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if !sawPool {
		if state != "" && state != "revealed" {
			return fmt.Errorf("the draw is %s: there is nothing to verify before the reveal", state)
		}
		return errors.New("no pool in the document")
	}
	return nil
}

func streamPool(dec *json.Decoder, p Published) error {
	v, err := NewVerifier(p)
	if err != nil {
		return err
	}
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("pool: %w", err)
		}
		id, ok := tok.(string)
		if !ok {
			return fmt.Errorf("pool: entry %d is not a string", v.hasher.Len()+1)
		}
		if err := v.Add(id); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	return v.Finish()
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %v, found %v", d, tok)
	}
	return nil
}
