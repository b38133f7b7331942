package ui

import (
	"bytes"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui/photo"
)

// profileField is one single-valued text field of the profile form; its
// name is the model (and ACL) attribute name.
type profileField struct {
	Name         string
	Label        string // message ID
	Type         string // input type: text, url, textarea
	Autocomplete string
	get          func(*store.User) *string
}

// profileSections group the fields as the page shows them.
var profileSections = []struct {
	Title  string
	Fields []profileField
}{
	{"profile_section_identity", []profileField{
		{"given_name", "field_given_name", "text", "given-name", func(u *store.User) *string { return &u.GivenName }},
		{"family_name", "field_family_name", "text", "family-name", func(u *store.User) *string { return &u.FamilyName }},
		{"display_name", "field_display_name", "text", "nickname", func(u *store.User) *string { return &u.DisplayName }},
		{"formatted_name", "field_formatted_name", "text", "name", func(u *store.User) *string { return &u.FormattedName }},
	}},
	{"profile_section_contact", []profileField{
		{"formatted_address", "field_formatted_address", "textarea", "street-address", func(u *store.User) *string { return &u.FormattedAddress }},
		{"street", "field_street", "text", "address-line1", func(u *store.User) *string { return &u.Street }},
		{"postal_code", "field_postal_code", "text", "postal-code", func(u *store.User) *string { return &u.PostalCode }},
		{"locality", "field_locality", "text", "address-level2", func(u *store.User) *string { return &u.Locality }},
		{"region", "field_region", "text", "address-level1", func(u *store.User) *string { return &u.Region }},
		{"profile_url", "field_profile_url", "url", "url", func(u *store.User) *string { return &u.ProfileURL }},
	}},
	{"profile_section_work", []profileField{
		{"title", "field_title", "text", "organization-title", func(u *store.User) *string { return &u.Title }},
		{"organization", "field_organization", "text", "organization", func(u *store.User) *string { return &u.Organization }},
		{"department", "field_department", "text", "off", func(u *store.User) *string { return &u.Department }},
		{"employee_number", "field_employee_number", "text", "off", func(u *store.User) *string { return &u.EmployeeNumber }},
	}},
}

// profileAccess is what the viewer may do on a profile.
type profileAccess struct {
	self   bool
	manage bool // the viewer has manage_users
	edit   bool // the viewer may change something
	rights acl.Rights
}

func (p profileAccess) canRead(attr string) bool { return p.rights.CanRead(attr) }
func (p profileAccess) canWrite(attr string) bool {
	return p.edit && p.rights.CanWrite(attr)
}

// profileTarget loads the user of a /profile/:user page and what the
// viewer may do with it. Anybody but the user and managers gets 404, so
// that the pages reveal no account.
func (c *ctx) profileTarget() (*store.User, profileAccess, error) {
	var acc profileAccess
	if c.user == nil {
		return nil, acc, c.requireUser()
	}
	name := c.p.ByName("user")
	acc.manage = c.rights.Can(acl.ManageUsers)
	if strings.EqualFold(name, c.user.UserName) {
		acc.self = true
		u := *c.user
		acc.rights = c.rights
		acc.edit = c.rights.Can(acl.EditSelf) || acc.manage
		return &u, acc, nil
	}
	if !acc.manage {
		return nil, acc, errNotFound
	}
	u, err := c.a.st.GetUserByName(c.r.Context(), name)
	if err != nil {
		return nil, acc, err
	}
	acc.rights, acc.edit = c.rights, true
	return &u, acc, nil
}

// errAnswered is returned by helpers that already answered (a redirect).
var errAnswered = errors.New("answered")

func (a *App) profilePage(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	f := profileForm(u)
	c.renderForm(http.StatusOK, "profile", a.profileData(c, u, acc, f), f)
	return nil
}

// profileForm fills the form with the stored values.
func profileForm(u *store.User) *form {
	f := newForm()
	for _, s := range profileSections {
		for _, fl := range s.Fields {
			f.Values[fl.Name] = *fl.get(u)
		}
	}
	f.Values["preferred_language"] = u.PreferredLanguage
	f.Lists["emails"] = slices.Clone(u.Emails)
	f.Lists["phone_numbers"] = slices.Clone(u.PhoneNumbers)
	return f
}

type fieldView struct {
	profileField
	Writable bool
}

type sectionView struct {
	Title  string
	Fields []fieldView
	// Open is false for a section whose fields are all empty and fine:
	// it starts folded, so that the page is not a wall of empty fields.
	Open bool
}

func (a *App) profileData(c *ctx, u *store.User, acc profileAccess, f *form) map[string]any {
	var sections []sectionView
	for i, s := range profileSections {
		sv := sectionView{Title: s.Title, Open: i == 0}
		for _, fl := range s.Fields {
			if acc.canRead(fl.Name) || acc.canWrite(fl.Name) {
				sv.Fields = append(sv.Fields, fieldView{profileField: fl, Writable: acc.canWrite(fl.Name)})
				if f.Values[fl.Name] != "" || f.Errors[fl.Name] != "" {
					sv.Open = true
				}
			}
		}
		if len(sv.Fields) > 0 {
			sections = append(sections, sv)
		}
	}
	attr := func(name string) map[string]bool {
		return map[string]bool{"read": acc.canRead(name) || acc.canWrite(name), "write": acc.canWrite(name)}
	}
	var groups []string
	for _, g := range u.Groups {
		groups = append(groups, g.Name)
	}
	return map[string]any{
		"Target":          u,
		"Self":            acc.self,
		"Sections":        sections,
		"UserName":        attr("user_name"),
		"Emails":          attr("emails"),
		"Phones":          attr("phone_numbers"),
		"Photo":           attr("photo"),
		"Language":        attr("preferred_language"),
		"Groups":          attr("groups"),
		"GroupNames":      groups,
		"Password":        acc.canWrite("password"),
		"POSIX":           acc.canRead("uid_number"),
		"Languages":       a.i18n.options(u.PreferredLanguage),
		"Confirm":         a.cfg.EmailConfirmation && !acc.manage,
		"PhotoURL":        "/profile/" + url.PathEscape(u.UserName) + "/photo?v=" + strconv.FormatInt(u.LastModified.Unix(), 36),
		"PhotoMaxMB":      5,
		"CanEditAnything": acc.edit,
	}
}

func (a *App) profileSubmit(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	if !acc.edit {
		return errForbidden
	}
	ctx := c.r.Context()
	f := newForm()
	for _, s := range profileSections {
		for _, fl := range s.Fields {
			if acc.canWrite(fl.Name) {
				f.Values[fl.Name] = c.form(fl.Name)
			} else {
				f.Values[fl.Name] = *fl.get(u)
			}
		}
	}
	f.Values["preferred_language"] = u.PreferredLanguage
	if acc.canWrite("preferred_language") {
		lang := c.form("preferred_language")
		if lang != "" && a.i18n.supported(lang) == "" {
			c.fieldError(f, "preferred_language", "error_language")
		}
		f.Values["preferred_language"] = lang
	}
	f.Lists["emails"], f.Lists["phone_numbers"] = u.Emails, u.PhoneNumbers
	var newEmails []string // addresses to confirm by email
	if acc.canWrite("emails") {
		emails := formList(c.r.PostForm["emails"])
		f.Lists["emails"] = emails
		for _, e := range emails {
			if !validEmail(e) {
				c.valueError(f, "emails", e, "error_email", "Value", e)
			}
		}
		if len(emails) == 0 && len(u.Emails) > 0 && acc.self && !acc.manage {
			c.fieldError(f, "emails", "profile_email_keep_one")
		}
		if a.cfg.EmailConfirmation && !acc.manage {
			kept := make([]string, 0, len(emails))
			for _, e := range emails {
				if containsFold(u.Emails, e) {
					kept = append(kept, e)
				} else {
					newEmails = append(newEmails, e)
				}
			}
			f.Lists["emails"] = emails
			emails = kept
		}
		if !f.HasErrors() {
			f.Lists["emails"] = emails
		}
	}
	if acc.canWrite("phone_numbers") {
		phones := formList(c.r.PostForm["phone_numbers"])
		f.Lists["phone_numbers"] = phones
		for _, p := range phones {
			if !validPhone(p) {
				c.valueError(f, "phone_numbers", p, "error_phone", "Value", p)
			}
		}
	}
	if v := f.Values["profile_url"]; v != "" && acc.canWrite("profile_url") && !validURL(v) {
		c.fieldError(f, "profile_url", "error_url")
	}
	var newPhoto []byte
	deletePhoto := false
	if acc.canWrite("photo") {
		if file, _, err := c.r.FormFile("photo"); err == nil {
			defer file.Close()
			data, err := photo.Normalize(file, photo.Options{})
			switch {
			case errors.Is(err, photo.ErrTooLarge):
				c.fieldError(f, "photo", "error_photo_too_large", "MB", 5)
			case errors.Is(err, photo.ErrTooManyPixels):
				c.fieldError(f, "photo", "error_photo_pixels")
			case errors.Is(err, photo.ErrFormat):
				c.fieldError(f, "photo", "error_photo_format")
			case err != nil:
				c.fieldError(f, "photo", "error_photo_corrupt")
			default:
				newPhoto = data
			}
		} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
			c.fieldError(f, "photo", "error_photo_corrupt")
		}
		deletePhoto = c.form("photo_delete") != ""
	}
	if f.HasErrors() {
		c.renderForm(http.StatusUnprocessableEntity, "profile", a.profileData(c, u, acc, f), f)
		return nil
	}
	updated, err := a.st.UpdateUser(ctx, u.ID, func(nu *store.User) error {
		for _, s := range profileSections {
			for _, fl := range s.Fields {
				if acc.canWrite(fl.Name) {
					*fl.get(nu) = f.Values[fl.Name]
				}
			}
		}
		if acc.canWrite("preferred_language") {
			nu.PreferredLanguage = f.Values["preferred_language"]
		}
		if acc.canWrite("emails") {
			nu.Emails = f.Lists["emails"]
		}
		if acc.canWrite("phone_numbers") {
			nu.PhoneNumbers = f.Lists["phone_numbers"]
		}
		return nil
	})
	if err != nil {
		if c.storeErrors(f, err) {
			f.Lists["emails"] = append(f.Lists["emails"], newEmails...)
			c.renderForm(http.StatusUnprocessableEntity, "profile", a.profileData(c, u, acc, f), f)
			return nil
		}
		return err
	}
	switch {
	case newPhoto != nil:
		err = a.st.SetUserPhoto(ctx, u.ID, newPhoto)
	case deletePhoto:
		err = a.st.SetUserPhoto(ctx, u.ID, nil)
	}
	if err != nil {
		return err
	}
	c.security("profile updated", "user", updated.UserName)
	msg := "profile_saved"
	for _, e := range newEmails {
		if err := a.sendEmailConfirmation(c, &updated, e); err != nil {
			c.flash("error", "mail_failed")
			return c.redirect(c.r.URL.Path)
		}
		msg = "profile_saved_confirm"
	}
	c.flash("success", msg)
	return c.redirect(c.r.URL.Path)
}

// storeErrors turns the validation and uniqueness errors of the store
// into field errors; false when err is of another kind.
func (c *ctx) storeErrors(f *form, err error) bool {
	var ves store.ValidationErrors
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ves):
		for _, e := range ves {
			field, _, _ := strings.Cut(e.Field, "[")
			c.fieldError(f, field, "error_invalid", "Reason", e.Reason)
		}
		return true
	case errors.As(err, &ve):
		field, _, _ := strings.Cut(ve.Field, "[")
		c.fieldError(f, field, "error_invalid", "Reason", ve.Reason)
		return true
	case errors.Is(err, store.ErrExists):
		c.fieldError(f, "emails", "error_email_taken")
		return true
	}
	return false
}

// photo serves a user's photo to those who may see the profile.
func (a *App) photo(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	if !acc.canRead("photo") && !acc.self {
		return errNotFound
	}
	data, err := a.st.UserPhoto(c.r.Context(), u.ID)
	if err != nil {
		return err
	}
	ct := photo.Sniff(data)
	if ct == "" {
		ct = "application/octet-stream"
		c.w.Header().Set("Content-Disposition", "attachment")
	}
	c.w.Header().Set("Content-Type", ct)
	c.w.Header().Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(c.w, c.r, "", u.LastModified, bytes.NewReader(data))
	return nil
}

// formList trims the values of a multi-valued field and drops empty ones.
func formList(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// validEmail accepts a bare address such as alice@example.org.
func validEmail(e string) bool {
	if len(e) > 254 || strings.ContainsAny(e, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1
}

// validPhone accepts digits, spaces and + ( ) . - with at least 3 digits.
func validPhone(p string) bool {
	if len(p) > 32 {
		return false
	}
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +()-./", r):
		default:
			return false
		}
	}
	return digits >= 3
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// sessionsPage lists the user's sessions, to end some or all others.
func (a *App) sessionsPage(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	if !acc.self {
		return errNotFound
	}
	list, err := a.st.ListSessions(c.r.Context(), u.ID)
	if err != nil {
		return err
	}
	// This browser first, then the most recent.
	slices.SortFunc(list, func(x, y store.Session) int {
		if (x.ID == c.session.ID) != (y.ID == c.session.ID) {
			if x.ID == c.session.ID {
				return -1
			}
			return 1
		}
		return y.LastSeen.Compare(x.LastSeen)
	})
	c.render(http.StatusOK, "sessions", map[string]any{"Sessions": list, "Current": c.session.ID, "Target": u})
	return nil
}

func (a *App) sessionsSubmit(c *ctx) error {
	u, acc, err := c.profileTarget()
	if u == nil {
		return err
	}
	if !acc.self {
		return errNotFound
	}
	ctx := c.r.Context()
	if id := c.form("session"); id != "" {
		list, err := a.st.ListSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(list, func(s store.Session) bool { return s.ID == id }) {
			return errNotFound
		}
		if id == c.session.ID {
			return &httpError{status: http.StatusBadRequest, msg: "sessions_current"}
		}
		if err := a.st.DeleteSession(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c.security("session ended", "user", u.UserName)
		c.flash("success", "sessions_ended_one")
		return c.redirect(c.r.URL.Path)
	}
	n, err := a.st.DeleteUserSessions(ctx, u.ID, c.session.ID)
	if err != nil {
		return err
	}
	c.security("sessions ended", "user", u.UserName, "count", n)
	c.flash("success", "sessions_ended_others")
	return c.redirect(c.r.URL.Path)
}
