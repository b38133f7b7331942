package bolt

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

var _ store.UserPager = (*Store)(nil)

// ListUsersPage implements store.UserPager.
//
// In user_name order without a search it walks the name index. Otherwise
// it scans the users bucket once, comparing each record with the summary
// (sort keys and searchable text) kept from an earlier listing: a record
// whose bytes changed is decoded again, others are not, so that a listing
// over 100,000 users costs a scan, a hash of each record and a sort, not
// 100,000 JSON decodings. The summaries hold no secret.
func (s *Store) ListUsersPage(ctx context.Context, q store.UserPageQuery) (store.UserPage, error) {
	var page store.UserPage
	search := strings.ToLower(q.Search)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var ids []string
		var err error
		if search == "" && (q.Sort == "" || q.Sort == store.SortUserName) {
			ids, page.Total, err = pageByName(ctx, tx, q)
		} else {
			ids, page.Total, err = s.decoded.summaries.page(ctx, tx, search, q)
		}
		if err != nil {
			return err
		}
		r := s.reader(tx)
		page.Users = make([]store.User, 0, len(ids))
		for _, id := range ids {
			u, err := getUserW(r, id)
			if err != nil {
				return err
			}
			page.Users = append(page.Users, u)
		}
		return nil
	})
	return page, err
}

// pageByName reads a page of user IDs from the name index.
func pageByName(ctx context.Context, tx *bbolt.Tx, q store.UserPageQuery) ([]string, int, error) {
	b := tx.Bucket(bUserName)
	total := b.Stats().KeyN
	from, to := store.PageBounds(total, q.Offset, q.Limit)
	c := b.Cursor()
	first, next := c.First, c.Next
	if q.Descending {
		first, next = c.Last, c.Prev
	}
	ids := make([]string, 0, to-from)
	i := 0
	for k, v := first(); k != nil && i < to; k, v = next() {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		if i >= from {
			ids = append(ids, string(v))
		}
		i++
	}
	return ids, total, nil
}

// userSummaries caches, per user ID, what listings sort and search on,
// with a hash of the record it was taken from.
type userSummaries struct {
	mu   sync.Mutex
	seed maphash.Seed
	m    map[string]*userSummary
	gen  uint64
	// sorted holds every summary in the ascending order of a sort, until
	// a change.
	sorted map[store.UserSort][]*userSummary
}

type userSummary struct {
	hash uint64
	gen  uint64 // the last scan that saw the user
	id   string
	key  store.UserSortKey
	// text holds the lower-cased user name, names and emails separated by
	// NUL bytes; the key's strings share its memory where they can.
	text string
}

// summaryRecord is the part of a stored user that a summary needs.
type summaryRecord struct {
	UserName      string    `json:"user_name"`
	FormattedName string    `json:"formatted_name"`
	DisplayName   string    `json:"display_name"`
	GivenName     string    `json:"given_name"`
	FamilyName    string    `json:"family_name"`
	Emails        []string  `json:"emails"`
	LastModified  time.Time `json:"last_modified"`
}

func summarize(id string, raw []byte) (*userSummary, error) {
	var r summaryRecord
	if err := decode(raw, &r); err != nil {
		return nil, err
	}
	parts := append([]string{r.UserName, r.FormattedName, r.DisplayName, r.GivenName, r.FamilyName}, r.Emails...)
	text := strings.ToLower(strings.Join(parts, "\x00"))
	// Slice the key out of text: the fields are in the order above.
	fields := strings.Split(text, "\x00")
	u := store.User{UserName: r.UserName, FormattedName: r.FormattedName, DisplayName: r.DisplayName,
		GivenName: r.GivenName, FamilyName: r.FamilyName}
	key := store.UserSortKey{UserName: fields[0], LastModified: r.LastModified.UnixNano()}
	switch {
	case r.DisplayName != "":
		key.Name = fields[2]
	case r.FormattedName != "":
		key.Name = fields[1]
	default:
		key.Name = strings.ToLower(u.Name())
	}
	if len(fields) > 5 {
		key.Email = fields[5]
	}
	return &userSummary{id: id, key: key, text: text}, nil
}

// page scans the users and returns the IDs of one page of the matches in
// q's order, and the number of matches. The sorted orders are kept until
// a scan sees a change, so that paging through an unchanged directory
// does not sort it again.
func (c *userSummaries) page(ctx context.Context, tx *bbolt.Tx, search string, q store.UserPageQuery) ([]string, int, error) {
	if strings.Contains(search, "\x00") {
		return nil, 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.seed = maphash.MakeSeed()
		c.m = map[string]*userSummary{}
	}
	c.gen++
	changed := false
	all := make([]*userSummary, 0, len(c.m))
	cur := tx.Bucket(bUsers).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if len(all)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		h := maphash.Bytes(c.seed, v)
		e := c.m[string(k)]
		if e == nil || e.hash != h {
			id := string(k)
			ne, err := summarize(id, v)
			if err != nil {
				return nil, 0, err
			}
			ne.hash = h
			c.m[id] = ne
			e, changed = ne, true
		}
		e.gen = c.gen
		all = append(all, e)
	}
	if len(c.m) > len(all) {
		for id, e := range c.m {
			if e.gen != c.gen {
				delete(c.m, id)
			}
		}
		changed = true
	}
	if changed || c.sorted == nil {
		c.sorted = map[store.UserSort][]*userSummary{}
	}
	by := q.Sort
	if by == "" {
		by = store.SortUserName
	}
	order := c.sorted[by]
	if order == nil {
		order = all
		slices.SortFunc(order, func(a, b *userSummary) int { return a.key.Compare(&b.key, by, false) })
		c.sorted[by] = order
	}
	// Descending is the ascending order reversed (the orders are total).
	from, to := max(q.Offset, 0), -1
	if q.Limit > 0 {
		to = from + q.Limit
	}
	var ids []string
	total := 0
	for i := range order {
		e := order[i]
		if q.Descending {
			e = order[len(order)-1-i]
		}
		if search != "" && !strings.Contains(e.text, search) {
			continue
		}
		if total >= from && (to < 0 || total < to) {
			ids = append(ids, e.id)
		}
		total++
	}
	return ids, total, nil
}
