package tunesim

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/shopspring/decimal"
)

// Calls returns the calls received so far, oldest first.
func (s *Simulator) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount counts the calls received for target and method, such as
// ("Offer", "findAll"), whatever their answer.
func (s *Simulator) CallCount(target, method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Target == target && c.Method == method {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls received so far. The rate window is kept:
// it is the simulated network's state, not the log's.
func (s *Simulator) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Offer returns a copy of offer id.
func (s *Simulator) Offer(id int) (Offer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[id]
	if !ok {
		return Offer{}, false
	}
	return *o, true
}

// UpdateOffer changes offer id with fn and reports whether it exists. The
// id cannot change; Modified becomes now unless fn set it.
func (s *Simulator) UpdateOffer(id int, fn func(*Offer)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[id]
	if !ok {
		return false
	}
	changed := *o
	fn(&changed)
	changed.ID = id
	if changed.Modified.Equal(o.Modified) {
		changed.Modified = s.now()
	}
	*o = changed
	return true
}

// RemoveOffer removes offer id, which is no longer returned, and reports
// whether it existed.
func (s *Simulator) RemoveOffer(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.offers[id]
	delete(s.offers, id)
	return ok
}

// AddOffer adds o, or replaces the offer with its id, and returns its id.
// An id of 0 takes the next free id; a zero Modified becomes now.
func (s *Simulator) AddOffer(o Offer) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID <= 0 {
		o.ID = s.nextID
	}
	s.nextID = max(s.nextID, o.ID+1)
	if o.Modified.IsZero() {
		o.Modified = s.now()
	}
	s.offers[o.ID] = &o
	return o.ID
}

var revisionSuffix = regexp.MustCompile(` \(rev \d+\)$`)

// ChangeSome changes n offers chosen at random (the same ones for the same
// history) as a network does between two syncs: a higher payout, a new
// name, and for every other one a status flipped between active and
// paused. It returns the changed ids in ascending order.
func (s *Simulator) ChangeSome(n int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, 0, len(s.offers))
	for id := range s.offers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	s.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:min(max(n, 0), len(ids))]
	slices.Sort(ids)

	s.revision++
	now := s.now()
	for i, id := range ids {
		o := s.offers[id]
		o.DefaultPayout = o.DefaultPayout.Add(decimal.New(25, -2))
		o.Name = revisionSuffix.ReplaceAllString(o.Name, "") + fmt.Sprintf(" (rev %d)", s.revision)
		if i%2 == 0 {
			switch o.Status {
			case "active":
				o.Status = "paused"
			case "paused":
				o.Status = "active"
			}
		}
		o.Modified = now
	}
	return ids
}

// FailNext makes the next n calls fail with f, after the calls already
// set to fail. A call with a wrong NetworkId fails as such and does not
// use up an injected failure.
func (s *Simulator) FailNext(f Failure, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, f)
	}
}
