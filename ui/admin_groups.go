package ui

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The group pages (/groups): users with manage_all_groups see and manage
// every group; users with manage_own_groups create groups, manage those they
// own and see those they belong to (read-only, with a button to leave).
//
// Groups are addressed by their ID in URLs: a display name may hold any
// character (a slash included) and changes when the group is renamed.

func init() {
	adminSections = append(adminSections, (*App).groupRoutes, (*App).clientAdminRoutes)
}

const (
	// groupPageSize is the number of groups of a page of the list.
	groupPageSize = 50
	// groupPickerSize caps the users the member picker shows.
	groupPickerSize = 20
)

func (a *App) groupRoutes() {
	get, post := http.MethodGet, http.MethodPost
	a.page(get, "/groups", a.groupsPage)
	a.page(get, "/groups/add", a.groupAddPage)
	a.page(post, "/groups/add", a.groupAddSubmit)
	a.page(get, "/groups/edit/:group", a.groupEditPage)
	a.page(post, "/groups/edit/:group", a.groupEditSubmit)
	a.page(post, "/groups/edit/:group/leave", a.groupLeave)
	a.page(get, "/groups/edit/:group/invite", a.groupInvitePage)
	a.page(post, "/groups/edit/:group/invite", a.groupInviteSubmit)
	a.page(get, "/group-invitation/:token", a.groupInvitationPage)
	a.page(post, "/group-invitation/:token", a.groupInvitationSubmit)
}

// requireGroups lets in users who may manage groups at all.
func (c *ctx) requireGroups() error { return c.require(acl.ManageAllGroups, acl.ManageOwnGroups) }

// mayManageGroup reports whether the user may change g: with
// manage_all_groups, or as an owner with manage_own_groups.
func (c *ctx) mayManageGroup(g *store.Group) bool {
	return c.rights.Can(acl.ManageAllGroups) || c.rights.Can(acl.ManageOwnGroups) && g.IsOwner(c.user.ID)
}

// groupURL is the edit page of a group.
func groupURL(g *store.Group) string { return "/groups/edit/" + url.PathEscape(g.ID) }

// loadGroup finds the group of the URL.
func (c *ctx) loadGroup() (store.Group, error) {
	id := c.p.ByName("group")
	g, err := c.a.st.GetGroup(c.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return g, errNotFound
	}
	return g, err
}

// manageableGroup loads the group of the URL and checks that the user may
// change it (403 otherwise, logged).
func (c *ctx) manageableGroup() (store.Group, error) {
	if err := c.requireGroups(); err != nil {
		return store.Group{}, err
	}
	g, err := c.loadGroup()
	if err != nil {
		return g, err
	}
	if !c.mayManageGroup(&g) {
		c.security("forbidden", "path", c.r.URL.Path, "method", c.r.Method, "group", g.DisplayName)
		return g, errForbidden
	}
	return g, nil
}

// reservedGroupNames are the groups named by the FILTER of an ACL section:
// who creates or renames a group to such a name, or owns it, decides who
// gets that section's rights, so only users with manage_all_groups may.
func (a *App) reservedGroupName(name string) bool {
	for _, s := range a.cfg.Policy.Describe() {
		for _, and := range s.Filter {
			for _, cond := range and {
				if cond.Attribute != "groups" {
					continue
				}
				for _, v := range cond.Values {
					if strings.EqualFold(v, name) {
						return true
					}
				}
			}
		}
	}
	return false
}

// groupRow is a line of the group list.
type groupRow struct {
	Group          store.Group
	Owner, Member  bool
	Manage         bool
	MemberCount    int
	URL, LeaveURL  string
	OwnerNames     []string
	MembersPreview []string
}

func (a *App) groupsPage(c *ctx) error {
	if err := c.requireGroups(); err != nil {
		return err
	}
	ctx := c.r.Context()
	qv := c.r.URL.Query()
	search := truncate(strings.TrimSpace(qv.Get("q")), 200)
	after := truncate(qv.Get("after"), 200)
	all := c.rights.Can(acl.ManageAllGroups)
	var groups []store.Group
	if all {
		var err error
		if groups, err = a.st.ListGroups(ctx, store.GroupQuery{Search: search, After: after, Limit: groupPageSize + 1}); err != nil {
			return err
		}
	} else {
		// The user's own groups and those they belong to: few, merged
		// and paged here.
		owned, err := a.st.ListGroups(ctx, store.GroupQuery{Search: search, OwnerID: c.user.ID})
		if err != nil {
			return err
		}
		member, err := a.st.ListGroups(ctx, store.GroupQuery{Search: search, MemberID: c.user.ID})
		if err != nil {
			return err
		}
		groups = owned
		for _, g := range member {
			if !slices.ContainsFunc(groups, func(o store.Group) bool { return o.ID == g.ID }) {
				groups = append(groups, g)
			}
		}
		slices.SortFunc(groups, func(x, y store.Group) int {
			return cmp.Compare(strings.ToLower(x.DisplayName), strings.ToLower(y.DisplayName))
		})
		if after != "" {
			groups = slices.DeleteFunc(groups, func(g store.Group) bool {
				return strings.ToLower(g.DisplayName) <= strings.ToLower(after)
			})
		}
	}
	next := ""
	if len(groups) > groupPageSize {
		groups = groups[:groupPageSize]
		v := url.Values{"after": {groups[len(groups)-1].DisplayName}}
		if search != "" {
			v.Set("q", search)
		}
		next = "/groups?" + v.Encode()
	}
	rows := make([]groupRow, 0, len(groups))
	for _, g := range groups {
		r := groupRow{Group: g, Owner: g.IsOwner(c.user.ID), Member: g.HasMember(c.user.ID),
			MemberCount: len(g.Members), URL: groupURL(&g), LeaveURL: groupURL(&g) + "/leave",
			OwnerNames: store.RefNames(g.Owners)}
		r.Manage = c.mayManageGroup(&g)
		rows = append(rows, r)
	}
	first := ""
	if after != "" {
		first = "/groups"
		if search != "" {
			first += "?" + url.Values{"q": {search}}.Encode()
		}
	}
	c.render(http.StatusOK, "groups", map[string]any{"Groups": rows, "Search": search, "Next": next,
		"First": first, "All": all})
	return nil
}

// groupFormData is the data of the create and settings forms.
func (c *ctx) groupFormData(g *store.Group) map[string]any {
	return map[string]any{"Group": g, "GID": c.rights.Can(acl.ManageAllGroups)}
}

func (a *App) groupAddPage(c *ctx) error {
	if err := c.requireGroups(); err != nil {
		return err
	}
	c.render(http.StatusOK, "group-add", c.groupFormData(nil))
	return nil
}

// readGroupSettings reads the name, description and (for managers of all
// groups) gid number of the form into g, recording the errors in f.
func (c *ctx) readGroupSettings(f *form, g *store.Group) {
	g.DisplayName = c.form("display_name")
	g.Description = c.form("description")
	f.Values["display_name"], f.Values["description"] = g.DisplayName, g.Description
	if r := store.ValidGroupName(g.DisplayName); r != "" {
		if g.DisplayName == "" {
			c.fieldError(f, "display_name", "error_required")
		} else {
			c.fieldError(f, "display_name", "error_invalid", "Reason", r)
		}
	} else if !c.rights.Can(acl.ManageAllGroups) && c.a.reservedGroupName(g.DisplayName) {
		c.fieldError(f, "display_name", "group_name_reserved")
	}
	if c.rights.Can(acl.ManageAllGroups) {
		v := c.form("gid_number")
		f.Values["gid_number"] = v
		switch n, err := strconv.ParseUint(v, 10, 32); {
		case v == "":
			g.GIDNumber = 0 // allocated
		case err != nil || n == 0:
			c.fieldError(f, "gid_number", "group_gid_invalid")
		default:
			g.GIDNumber = uint32(n)
		}
	}
}

// groupStoreErrors turns the errors of a group write into field errors;
// it returns false for an error that is not about the input.
func (c *ctx) groupStoreErrors(f *form, err error) bool {
	var ves store.ValidationErrors
	switch {
	case errors.Is(err, store.ErrExists):
		if strings.Contains(err.Error(), "gid number") {
			c.fieldError(f, "gid_number", "group_gid_taken")
		} else {
			c.fieldError(f, "display_name", "group_name_taken")
		}
	case errors.As(err, &ves):
		for _, e := range ves {
			field := e.Field
			if field != "display_name" && field != "description" {
				field = "display_name"
			}
			c.fieldError(f, field, "error_invalid", "Reason", e.Reason)
		}
	default:
		return false
	}
	return true
}

// groupAddSubmit creates a group owned by its creator. It may be empty.
func (a *App) groupAddSubmit(c *ctx) error {
	if err := c.requireGroups(); err != nil {
		return err
	}
	f := newForm()
	var g store.Group
	c.readGroupSettings(f, &g)
	if !f.HasErrors() {
		g.Owners = []store.Ref{{ID: c.user.ID}}
		created, err := a.st.CreateGroup(c.r.Context(), g)
		if err == nil {
			c.audit(auditEvent{Action: "group.create", TargetKind: "group", Target: created.DisplayName,
				Details: map[string]string{"group_id": created.ID, "gid_number": strconv.FormatUint(uint64(created.GIDNumber), 10)}})
			c.flash("success", "group_created")
			return c.redirect(groupURL(&created))
		}
		if !c.groupStoreErrors(f, err) {
			return err
		}
	}
	c.renderForm(http.StatusUnprocessableEntity, "group-add", c.groupFormData(nil), f)
	return nil
}

// pickedUser is a user of the member picker's results.
type pickedUser struct {
	User          store.User
	Member, Owner bool
}

// groupEditData is the data of the group page.
func (c *ctx) groupEditData(g *store.Group, search string) (map[string]any, error) {
	d := c.groupFormData(g)
	d["Search"] = search
	d["Invite"] = c.a.mailEnabled()
	d["Self"] = c.user.ID
	d["LeaveURL"] = groupURL(g) + "/leave"
	d["URL"] = groupURL(g)
	if search != "" {
		users, err := c.a.st.ListUsers(c.r.Context(), store.UserQuery{Search: search, Limit: groupPickerSize + 1})
		if err != nil {
			return nil, err
		}
		d["More"] = len(users) > groupPickerSize
		if len(users) > groupPickerSize {
			users = users[:groupPickerSize]
		}
		picked := make([]pickedUser, 0, len(users))
		for _, u := range users {
			picked = append(picked, pickedUser{User: u, Member: g.HasMember(u.ID), Owner: g.IsOwner(u.ID)})
		}
		d["Found"] = picked
	}
	return d, nil
}

func settingsForm(g *store.Group) *form {
	f := newForm()
	f.Values["display_name"], f.Values["description"] = g.DisplayName, g.Description
	if g.GIDNumber != 0 {
		f.Values["gid_number"] = strconv.FormatUint(uint64(g.GIDNumber), 10)
	}
	return f
}

func (a *App) groupEditPage(c *ctx) error {
	g, err := c.manageableGroup()
	if err != nil {
		return err
	}
	search := truncate(strings.TrimSpace(c.r.URL.Query().Get("q")), 200)
	d, err := c.groupEditData(&g, search)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusOK, "group-edit", d, settingsForm(&g))
	return nil
}

// groupEditSubmit runs one action of the group page: save the settings,
// add or remove a member or an owner, delete (after a confirmation).
func (a *App) groupEditSubmit(c *ctx) error {
	g, err := c.manageableGroup()
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	search := truncate(c.form("q"), 200)
	back := groupURL(&g)
	if search != "" {
		back += "?" + url.Values{"q": {search}}.Encode() + "#picker"
	}
	action := c.form("action")
	switch action {
	case "save":
		return a.groupSave(c, &g)
	case "add_member", "remove_member", "add_owner", "remove_owner":
		u, err := a.st.GetUser(ctx, c.form("user"))
		if errors.Is(err, store.ErrNotFound) {
			return &httpError{status: http.StatusBadRequest, msg: "error_bad_request"}
		} else if err != nil {
			return err
		}
		ev := auditEvent{Action: "group." + action, TargetKind: "group", Target: g.DisplayName,
			TargetUserID: u.ID, Details: map[string]string{"user": u.UserName}}
		switch action {
		case "add_member":
			err = a.st.AddMember(ctx, g.ID, u.ID)
		case "remove_member":
			err = a.st.RemoveMember(ctx, g.ID, u.ID)
		case "add_owner", "remove_owner":
			if !c.rights.Can(acl.ManageAllGroups) && a.reservedGroupName(g.DisplayName) {
				return errForbidden
			}
			_, err = a.st.UpdateGroup(ctx, g.ID, func(g *store.Group) error {
				if action == "add_owner" {
					g.Owners = append(g.Owners, store.Ref{ID: u.ID})
				} else {
					g.Owners = slices.DeleteFunc(g.Owners, func(r store.Ref) bool { return r.ID == u.ID })
				}
				return nil
			})
		}
		if err != nil {
			return err
		}
		c.audit(ev)
		c.flash("success", "group_"+action+"_done")
		// An owner who gave up their ownership may no longer see the page.
		if action == "remove_owner" && u.ID == c.user.ID && !c.rights.Can(acl.ManageAllGroups) {
			return c.redirect("/groups")
		}
		return c.redirect(back)
	case "delete":
		c.render(http.StatusOK, "group-delete", map[string]any{"Group": g, "URL": groupURL(&g)})
		return nil
	case "delete_confirmed":
		if err := a.st.DeleteGroup(ctx, g.ID); err != nil {
			return err
		}
		c.audit(auditEvent{Action: "group.delete", TargetKind: "group", Target: g.DisplayName,
			Details: map[string]string{"group_id": g.ID, "members": strconv.Itoa(len(g.Members))}})
		c.flash("success", "group_deleted")
		return c.redirect("/groups")
	}
	return &httpError{status: http.StatusBadRequest, msg: "error_bad_request"}
}

// groupSave changes the name, description and gid number.
func (a *App) groupSave(c *ctx, g *store.Group) error {
	f := newForm()
	next := g.Clone()
	gidBefore := g.GIDNumber
	c.readGroupSettings(f, &next)
	if !c.rights.Can(acl.ManageAllGroups) {
		next.GIDNumber = gidBefore
	} else if next.GIDNumber == 0 {
		next.GIDNumber = gidBefore // an empty field keeps the number
	}
	if !f.HasErrors() {
		updated, err := a.st.UpdateGroup(c.r.Context(), g.ID, func(cur *store.Group) error {
			cur.DisplayName, cur.Description, cur.GIDNumber = next.DisplayName, next.Description, next.GIDNumber
			return nil
		})
		if err == nil {
			details := map[string]string{}
			if updated.DisplayName != g.DisplayName {
				details["renamed_from"] = g.DisplayName
			}
			if updated.Description != g.Description {
				details["description"] = "changed"
			}
			if updated.GIDNumber != g.GIDNumber {
				details["gid_number"] = strconv.FormatUint(uint64(updated.GIDNumber), 10)
			}
			c.audit(auditEvent{Action: "group.update", TargetKind: "group", Target: updated.DisplayName, Details: details})
			c.flash("success", "group_saved")
			return c.redirect(groupURL(&updated))
		}
		if !c.groupStoreErrors(f, err) {
			return err
		}
	}
	d, err := c.groupEditData(g, "")
	if err != nil {
		return err
	}
	c.renderForm(http.StatusUnprocessableEntity, "group-edit", d, f)
	return nil
}

// groupLeave takes the user out of a group they belong to.
func (a *App) groupLeave(c *ctx) error {
	if err := c.requireGroups(); err != nil {
		return err
	}
	g, err := c.loadGroup()
	if err != nil {
		return err
	}
	if !g.HasMember(c.user.ID) {
		return errNotFound
	}
	if err := a.st.RemoveMember(c.r.Context(), g.ID, c.user.ID); err != nil {
		return err
	}
	c.audit(auditEvent{Action: "group.leave", TargetKind: "group", Target: g.DisplayName, TargetUserID: c.user.ID,
		Details: map[string]string{"user": c.user.UserName}})
	c.flash("success", "group_left")
	return c.redirect("/groups")
}
