package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// UserSort is an order of UserPager listings.
type UserSort string

// The orders of UserPageQuery.Sort. Each compares case-insensitively and
// breaks ties by user_name, so that pages never overlap.
const (
	// SortUserName orders by user_name (the default).
	SortUserName UserSort = "user_name"
	// SortName orders by User.Name(): display name, formatted name, given
	// and family names, or user name.
	SortName UserSort = "name"
	// SortEmail orders by the preferred (first) email; users without one
	// come after the others.
	SortEmail UserSort = "email"
	// SortLastModified orders by LastModified, oldest first.
	SortLastModified UserSort = "last_modified"
)

// UserSorts lists the orders.
var UserSorts = []UserSort{SortUserName, SortName, SortEmail, SortLastModified}

// UserPageQuery selects one page of a sorted, filtered user listing.
type UserPageQuery struct {
	// Search keeps the users whose user_name, names or emails contain
	// this text, case-insensitively, as UserQuery.Search does.
	Search string
	// Sort is the order; "" means SortUserName. Descending reverses it
	// entirely (users without an email then come first).
	Sort       UserSort
	Descending bool
	// Offset skips this many users of the order; Limit caps the page (0:
	// no limit).
	Offset, Limit int
}

// UserPage is one page of users and the number of users matching the
// query on every page together.
type UserPage struct {
	Users []User
	Total int
}

// UserPager lists users by page in any of the UserSorts, with the count of
// matches, fast enough for an administration page over a large directory.
// It is optional: PageUsers falls back on Directory.ListUsers.
type UserPager interface {
	ListUsersPage(ctx context.Context, q UserPageQuery) (UserPage, error)
}

// PageUsers returns a page of users from d: through its UserPager when it
// has one, else by reading every matching user with ListUsers and sorting
// them in memory.
func PageUsers(ctx context.Context, d Directory, q UserPageQuery) (UserPage, error) {
	if p, ok := d.(UserPager); ok {
		return p.ListUsersPage(ctx, q)
	}
	all, err := d.ListUsers(ctx, UserQuery{Search: q.Search})
	if err != nil {
		return UserPage{}, err
	}
	keys := make([]UserSortKey, len(all))
	for i := range all {
		keys[i] = SortKeyOf(&all[i])
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return keys[a].Compare(&keys[b], q.Sort, q.Descending) })
	from, to := PageBounds(len(idx), q.Offset, q.Limit)
	page := UserPage{Total: len(all)}
	for _, i := range idx[from:to] {
		page.Users = append(page.Users, all[i])
	}
	return page, nil
}

// PageBounds returns the slice bounds [from, to) of a page of n items.
func PageBounds(n, offset, limit int) (from, to int) {
	from = min(max(offset, 0), n)
	to = n
	if limit > 0 && limit < n-from {
		to = from + limit
	}
	return from, to
}

// UserSortKey holds what the UserSorts compare, lower-cased.
type UserSortKey struct {
	UserName, Name, Email string
	LastModified          int64 // Unix nanoseconds
}

// SortKeyOf returns the sort key of u.
func SortKeyOf(u *User) UserSortKey {
	return UserSortKey{UserName: strings.ToLower(u.UserName), Name: strings.ToLower(u.Name()),
		Email: strings.ToLower(u.PreferredEmail()), LastModified: u.LastModified.UnixNano()}
}

// Compare orders two keys as sort (descending or not) does.
func (k *UserSortKey) Compare(o *UserSortKey, sort UserSort, descending bool) int {
	var c int
	switch sort {
	case SortName:
		c = strings.Compare(k.Name, o.Name)
	case SortEmail:
		switch {
		case k.Email == "" && o.Email != "":
			c = 1
		case k.Email != "" && o.Email == "":
			c = -1
		default:
			c = strings.Compare(k.Email, o.Email)
		}
	case SortLastModified:
		c = cmp.Compare(k.LastModified, o.LastModified)
	}
	c = cmp.Or(c, strings.Compare(k.UserName, o.UserName))
	if descending {
		return -c
	}
	return c
}

// MatchesUser reports whether u matches a UserQuery.Search text already
// lower-cased.
func MatchesUser(u *User, lowerSearch string) bool {
	if lowerSearch == "" {
		return true
	}
	for _, v := range [...]string{u.UserName, u.FormattedName, u.DisplayName, u.GivenName, u.FamilyName} {
		if strings.Contains(strings.ToLower(v), lowerSearch) {
			return true
		}
	}
	for _, e := range u.Emails {
		if strings.Contains(strings.ToLower(e), lowerSearch) {
			return true
		}
	}
	return false
}
