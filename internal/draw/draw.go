// Package draw is the fair draw's arithmetic, with no database: the pool's canonical form and
// hash, the seed's commitment, the deterministic choice of winners and backups from a seed, and
// Verify, which recomputes all of it from what a draw publishes. Anyone can reimplement it from
// this file or from README's "Draws" section.
//
//	pool      = the entrants' entry ids, sorted bytewise, each followed by "\n" (the canonical form)
//	pool_hash = SHA-256(pool)
//	commit    = SHA-256(seed), seed being 32 random bytes; both published as lower-case hex
//	key       = seed, or HMAC-SHA256(key=seed, message=beacon) when a beacon (a public value fixed
//	            after the commit, such as a drand round's randomness) is given at the reveal
//	word(i)   = the first 8 bytes, big-endian, of HMAC-SHA256(key, uint64 big-endian i), i = 0, 1, ...
//	below(m)  = the next word w with w < 2^64 - (2^64 mod m) (others are skipped), as w mod m
//	shuffle   = for i in 0 .. k-1: j = i + below(n-i); swap pool[i], pool[j]  (Fisher–Yates, stopped
//	            after k = min(n, winners+backups) steps)
//	winners   = pool[0 : min(n, winners)], backups = the rest of pool[0:k], in that order
package draw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
)

// Algorithm names the algorithm above; a change to any step is a new version.
const Algorithm = "giveaway-draw-v1: sorted-pool sha256, seed commit sha256, key hmac-sha256(seed, beacon), fisher-yates over hmac-sha256(key, counter) with rejection"

// SeedSize is the length of a seed in bytes.
const SeedSize = 32

// PoolHasher hashes a pool in its canonical form as its entry ids arrive, so a pool of a million
// entrants is never one string. It refuses ids out of order, repeated, empty or holding a newline.
type PoolHasher struct {
	h    hash.Hash
	last string
	n    int
	err  error
}

// NewPoolHasher starts a pool.
func NewPoolHasher() *PoolHasher { return &PoolHasher{h: sha256.New()} }

// Add appends the next entry id; ids must come in ascending order.
func (p *PoolHasher) Add(id string) error {
	if p.err != nil {
		return p.err
	}
	switch {
	case !ValidEntryID(id):
		p.err = fmt.Errorf("entry %d: %q is not an entry id (1-64 of a-z, 0-9)", p.n+1, id)
	case p.n > 0 && id <= p.last:
		p.err = fmt.Errorf("entry %d: %q is not after %q: the pool must be sorted and without repeats", p.n+1, id, p.last)
	}
	if p.err != nil {
		return p.err
	}
	p.h.Write([]byte(id))
	p.h.Write([]byte{'\n'})
	p.last = id
	p.n++
	return nil
}

// Len is the number of entries added.
func (p *PoolHasher) Len() int { return p.n }

// Sum is the pool's hash in hex.
func (p *PoolHasher) Sum() string { return hex.EncodeToString(p.h.Sum(nil)) }

// ValidEntryID reports whether id can stand in a pool: 1 to 64 of a-z and 0-9.
func ValidEntryID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// PoolHash hashes a sorted pool.
func PoolHash(sorted []string) (string, error) {
	p := NewPoolHasher()
	for _, id := range sorted {
		if err := p.Add(id); err != nil {
			return "", err
		}
	}
	return p.Sum(), nil
}

// Commit is SHA-256(seed) in hex.
func Commit(seed []byte) string {
	s := sha256.Sum256(seed)
	return hex.EncodeToString(s[:])
}

// Key is the key the shuffle runs on: the seed, or HMAC-SHA256(seed, beacon) with a beacon.
func Key(seed []byte, beacon string) []byte {
	if beacon == "" {
		return seed
	}
	m := hmac.New(sha256.New, seed)
	m.Write([]byte(beacon))
	return m.Sum(nil)
}

// Stream is the draw's random words: word(i) for i = 0, 1, ...
type Stream struct {
	mac     hash.Hash
	counter uint64
	buf     [8]byte
	sum     []byte
}

// NewStream starts the words of key.
func NewStream(key []byte) *Stream { return &Stream{mac: hmac.New(sha256.New, key)} }

// Word is the next 64-bit word.
func (s *Stream) Word() uint64 {
	binary.BigEndian.PutUint64(s.buf[:], s.counter)
	s.counter++
	s.mac.Reset()
	s.mac.Write(s.buf[:])
	s.sum = s.mac.Sum(s.sum[:0])
	return binary.BigEndian.Uint64(s.sum[:8])
}

// Below is a uniform integer in [0, m): words at or above the largest multiple of m that fits in
// 2^64 are skipped, so no value is likelier than another (x mod m alone would favour small ones).
func (s *Stream) Below(m uint64) uint64 {
	if m == 0 {
		panic("draw: Below(0)")
	}
	// 2^64 mod m, computed as (2^64 - m) mod m without overflowing; accept w < 2^64 - rem.
	rem := (math.MaxUint64 - m + 1) % m
	for {
		if w := s.Word(); w <= math.MaxUint64-rem {
			return w % m
		}
	}
}

// Picks is the positions, in the sorted pool of n entrants, of the first k entrants of the
// shuffle: winners first, then backups. It needs only n, not the pool, so a verifier can stream
// the pool once and keep just these entries. The shuffle is done sparsely (only moved slots are
// kept), so a draw of a few winners from a million entrants allocates a few entries.
func Picks(key []byte, n, k int) []int {
	if k > n {
		k = n
	}
	s := NewStream(key)
	moved := make(map[int]int, 2*k) // slot → the position it now holds, where not its own
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := 0; i < k; i++ {
		j := i + int(s.Below(uint64(n-i)))
		vi, vj := at(i), at(j)
		moved[i], moved[j] = vj, vi
		out[i] = vj
	}
	return out
}

// Result is who a draw picked, as entry ids.
type Result struct {
	Winners []string `json:"winners"`
	Backups []string `json:"backups"`
}

// Draw picks winners and backups from a sorted pool with the key.
func Draw(sorted []string, key []byte, winners, backups int) Result {
	picks := Picks(key, len(sorted), winners+backups)
	r := Result{Winners: []string{}, Backups: []string{}}
	for i, p := range picks {
		if i < winners {
			r.Winners = append(r.Winners, sorted[p])
		} else {
			r.Backups = append(r.Backups, sorted[p])
		}
	}
	return r
}

// ErrSeedMismatch is a seed whose SHA-256 is not the commit.
var ErrSeedMismatch = errors.New("the seed does not match the commit")

// DecodeSeed reads a hex seed and checks it against the hex commit.
func DecodeSeed(seedHex, commit string) ([]byte, error) {
	seed, err := hex.DecodeString(seedHex)
	if err != nil || len(seed) != SeedSize {
		return nil, fmt.Errorf("the seed must be %d bytes in hex", SeedSize)
	}
	if !hmac.Equal([]byte(Commit(seed)), []byte(commit)) {
		return nil, ErrSeedMismatch
	}
	return seed, nil
}
