package ui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The user administration pages: the list of users with its bulk actions
// (/users), account creation (/profile), account settings
// (/profile/:user/settings: user name, groups, POSIX data, lock, password,
// deletion), impersonation, invitations (/invite) and LDAP service
// accounts (/users/service-account). Ordinary profile fields are edited on
// /profile/:user (profile.go), which honours manage_users.

func init() { adminSections = append(adminSections, (*App).userAdminRoutes) }

func (a *App) userAdminRoutes() {
	get, post := http.MethodGet, http.MethodPost
	a.page(get, "/users", a.usersPage)
	a.page(post, "/users", a.usersBulk)
	a.page(get, "/users/service-account", a.serviceAccountPage)
	a.page(post, "/users/service-account", a.serviceAccountSubmit)
	a.page(get, "/profile", a.userCreatePage)
	a.page(post, "/profile", a.userCreateSubmit)
	a.page(get, "/profile/:user/settings", a.userSettingsPage)
	a.page(post, "/profile/:user/settings", a.userSettingsSubmit)
	a.page(post, "/profile/:user/impersonate", a.impersonateStart)
	a.page(post, "/impersonate/stop", a.impersonateStop)
	a.page(get, "/invite", a.invitePage)
	a.page(post, "/invite", a.inviteSubmit)
}

// usersPageSize is the number of users of a page of the list.
const usersPageSize = 50

// usersQuery is the state of the list as its URL carries it.
type usersQuery struct {
	Search string
	Sort   store.UserSort
	Desc   bool
	Page   int // from 1
}

func parseUsersQuery(v url.Values) usersQuery {
	q := usersQuery{Search: truncate(strings.TrimSpace(v.Get("q")), 200), Sort: store.SortUserName, Page: 1}
	if s := store.UserSort(v.Get("sort")); slices.Contains(store.UserSorts, s) {
		q.Sort = s
	}
	q.Desc = v.Get("order") == "desc"
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 && n < 1e7 {
		q.Page = n
	}
	return q
}

// url returns the list with this query, changed by the name/value pairs.
func (q usersQuery) url(changes ...string) string {
	v := url.Values{}
	if q.Search != "" {
		v.Set("q", q.Search)
	}
	if q.Sort != store.SortUserName {
		v.Set("sort", string(q.Sort))
	}
	if q.Desc {
		v.Set("order", "desc")
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			v.Del(changes[i])
		} else {
			v.Set(changes[i], changes[i+1])
		}
	}
	if len(v) == 0 {
		return "/users"
	}
	return "/users?" + v.Encode()
}

// usersColumn is a sortable column header.
type usersColumn struct {
	Label string // message ID
	URL   string
	// Sorted is "ascending", "descending" or "" (for aria-sort).
	Sorted string
}

// usersRow is one line of the list.
type usersRow struct {
	User        store.User
	Self        bool
	ProfileURL  string
	SettingsURL string
	Locked      bool
	LockLater   bool // a lock date in the future
}

func (a *App) usersPage(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	q := parseUsersQuery(c.r.URL.Query())
	data, err := a.usersData(c, q)
	if err != nil {
		return err
	}
	c.render(http.StatusOK, "users", data)
	return nil
}

func (a *App) usersData(c *ctx, q usersQuery) (map[string]any, error) {
	ctx := c.r.Context()
	p, err := store.PageUsers(ctx, a.st, store.UserPageQuery{Search: q.Search, Sort: q.Sort, Descending: q.Desc,
		Offset: (q.Page - 1) * usersPageSize, Limit: usersPageSize})
	if err != nil {
		return nil, err
	}
	pages := max(1, (p.Total+usersPageSize-1)/usersPageSize)
	if q.Page > pages && p.Total > 0 {
		// A page beyond the end (users were deleted): show the last one.
		q.Page = pages
		if p, err = store.PageUsers(ctx, a.st, store.UserPageQuery{Search: q.Search, Sort: q.Sort,
			Descending: q.Desc, Offset: (q.Page - 1) * usersPageSize, Limit: usersPageSize}); err != nil {
			return nil, err
		}
	}
	rows := make([]usersRow, 0, len(p.Users))
	for _, u := range p.Users {
		base := "/profile/" + pathEscapeSegment(u.UserName)
		rows = append(rows, usersRow{User: u, Self: u.ID == c.user.ID, ProfileURL: base, SettingsURL: base + "/settings",
			Locked: u.Locked(c.now), LockLater: !u.LockDate.IsZero() && !u.Locked(c.now)})
	}
	var cols []usersColumn
	for _, col := range []struct {
		sort  store.UserSort
		label string
	}{{store.SortUserName, "field_user_name"}, {store.SortName, "users_column_name"},
		{store.SortEmail, "field_email"}, {store.SortLastModified, "users_column_modified"}} {
		uc := usersColumn{Label: col.label, URL: q.url("sort", string(col.sort), "order", "", "page", "")}
		if col.sort == store.SortUserName {
			uc.URL = q.url("sort", "", "order", "", "page", "")
		}
		if q.Sort == col.sort {
			uc.Sorted = "ascending"
			if q.Desc {
				uc.Sorted = "descending"
			} else {
				uc.URL = q.url("order", "desc", "page", "")
			}
		}
		cols = append(cols, uc)
	}
	d := map[string]any{
		"Rows": rows, "Columns": cols, "Search": q.Search, "Total": p.Total,
		"Page": q.Page, "Pages": pages, "Back": q.url(),
		"From": min((q.Page-1)*usersPageSize+1, p.Total), "To": (q.Page-1)*usersPageSize + len(rows),
		"Sort": string(q.Sort), "Desc": q.Desc,
		"CanLock":   c.rights.CanWrite("lock_date"),
		"CanGroups": c.rights.CanWrite("groups"),
		"CanDelete": c.rights.Can(acl.DeleteAccount),
	}
	if q.Page > 1 {
		d["First"], d["Prev"] = q.url("page", ""), q.url("page", strconv.Itoa(q.Page-1))
	}
	if q.Page < pages {
		d["Next"], d["Last"] = q.url("page", strconv.Itoa(q.Page+1)), q.url("page", strconv.Itoa(pages))
	}
	if c.rights.CanWrite("groups") {
		groups, err := a.st.ListGroups(ctx, store.GroupQuery{Limit: uaGroupChoicesMax + 1})
		if err != nil {
			return nil, err
		}
		if len(groups) <= uaGroupChoicesMax {
			d["Groups"] = groups
		}
	}
	return d, nil
}

// usersBulk runs an action on the users ticked in the list: add to a
// group, lock, unlock, or delete (after a confirmation page). The
// signed-in user is left out of locks and deletions.
func (a *App) usersBulk(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	ctx := c.r.Context()
	back := safeNext(c.form("back"))
	if back == "" || !strings.HasPrefix(back, "/users") {
		back = "/users"
	}
	action := c.form("action")
	switch action {
	case "add_group":
		if !c.rights.CanWrite("groups") {
			return errForbidden
		}
	case "lock", "unlock":
		if !c.rights.CanWrite("lock_date") {
			return errForbidden
		}
	case "delete":
		if !c.rights.Can(acl.DeleteAccount) {
			return errForbidden
		}
	default:
		return &httpError{status: http.StatusBadRequest, msg: "users_bulk_no_action"}
	}
	ids := formList(c.r.PostForm["users"])
	if len(ids) == 0 {
		c.flash("error", "users_bulk_none")
		return c.redirect(back)
	}
	if len(ids) > 500 {
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: "users_bulk_too_many"}
	}
	bulk := map[string]string{"bulk": "yes"}
	var users []store.User
	skipped := false
	for _, id := range ids {
		u, err := a.st.GetUser(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		if u.ID == c.user.ID && (action == "lock" || action == "delete") {
			skipped = true
			continue
		}
		users = append(users, u)
	}
	if len(users) == 0 {
		c.flash("error", "users_bulk_only_self")
		return c.redirect(back)
	}
	switch action {
	case "add_group":
		g, err := c.uaGroupFromForm()
		if err != nil {
			return err
		}
		if g == nil {
			c.flash("error", "users_bulk_no_group")
			return c.redirect(back)
		}
		for _, u := range users {
			if slices.ContainsFunc(u.Groups, func(r store.Ref) bool { return r.ID == g.ID }) {
				continue
			}
			if err := a.st.AddMember(ctx, g.ID, u.ID); err != nil {
				return err
			}
			c.audit(auditEvent{Action: "group.member_add", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID,
				Details: map[string]string{"group": g.DisplayName, "bulk": "yes"}})
		}
		c.flash("success", "users_bulk_added")
	case "lock":
		for _, u := range users {
			if err := a.lockUser(c, &u, c.now, bulk); err != nil {
				return err
			}
		}
		if skipped {
			c.flash("success", "users_bulk_locked_but_self")
		} else {
			c.flash("success", "users_bulk_locked")
		}
	case "unlock":
		for _, u := range users {
			if err := a.unlockUser(c, &u, bulk); err != nil {
				return err
			}
		}
		c.flash("success", "users_bulk_unlocked")
	case "delete":
		if c.form("confirm") != "yes" {
			c.render(http.StatusOK, "users-delete", map[string]any{"Users": users, "Back": back, "Skipped": skipped})
			return nil
		}
		for _, u := range users {
			if err := a.deleteUser(c, &u, bulk); err != nil {
				return err
			}
		}
		if skipped {
			c.flash("success", "users_bulk_deleted_but_self")
		} else {
			c.flash("success", "users_bulk_deleted")
		}
	}
	return c.redirect(back)
}

// uaGroupFromForm returns the group chosen in the "group" field (an ID,
// or a name for directories with too many groups for a list), nil when
// none is chosen. An unknown group is a 404.
func (c *ctx) uaGroupFromForm() (*store.Group, error) {
	ctx := c.r.Context()
	if id := c.form("group"); id != "" {
		g, err := c.a.st.GetGroup(ctx, id)
		if err != nil {
			return nil, err
		}
		return &g, nil
	}
	if name := c.form("group_name"); name != "" {
		g, err := c.a.st.GetGroupByName(ctx, name)
		if err != nil {
			return nil, err
		}
		return &g, nil
	}
	return nil, nil
}
