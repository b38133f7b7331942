package schemas

// orgMay is the MAY list organization and organizationalUnit share
// (RFC 4519 sections 3.8 and 3.9).
var orgMay = []string{"userPassword", "searchGuide", "seeAlso", "businessCategory",
	"x121Address", "registeredAddress", "destinationIndicator", "preferredDeliveryMethod",
	"telexNumber", "teletexTerminalIdentifier", "telephoneNumber", "internationalISDNNumber",
	"facsimileTelephoneNumber", "street", "postOfficeBox", "postalCode", "postalAddress",
	"physicalDeliveryOfficeName", "st", "l", "description"}

// groupMay is the MAY list of groupOfNames and groupOfUniqueNames
// (RFC 4519 sections 3.5 and 3.6).
var groupMay = []string{"businessCategory", "seeAlso", "owner", "ou", "o", "description"}

// classTable lists the object classes served.
var classTable = []ObjectClass{
	// RFC 4512.
	{OID: "2.5.6.0", Names: []string{"top"}, Desc: "RFC4512: top of the superclass chain", Kind: Abstract, Must: []string{"objectClass"}},
	{OID: "1.3.6.1.4.1.1466.101.120.111", Names: []string{"extensibleObject"}, Desc: "RFC4512: extensible object", Sup: []string{"top"}, Kind: Auxiliary},
	{OID: "2.5.20.1", Names: []string{"subschema"}, Desc: "RFC4512: controlling subschema (sub)entry", Kind: Auxiliary,
		May: []string{"dITStructureRules", "nameForms", "dITContentRules", "objectClasses", "attributeTypes", "matchingRules", "matchingRuleUse"}},
	// RFC 3672.
	{OID: "2.5.17.0", Names: []string{"subentry"}, Desc: "RFC3672: subentry", Sup: []string{"top"}, Kind: Structural, Must: []string{"cn", "subtreeSpecification"}},

	// RFC 4519.
	{OID: "2.5.6.6", Names: []string{"person"}, Desc: "RFC4519: a person", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"sn", "cn"}, May: []string{"userPassword", "telephoneNumber", "seeAlso", "description"}},
	{OID: "2.5.6.7", Names: []string{"organizationalPerson"}, Desc: "RFC4519: an organizational person", Sup: []string{"person"}, Kind: Structural,
		May: []string{"title", "x121Address", "registeredAddress", "destinationIndicator", "preferredDeliveryMethod",
			"telexNumber", "teletexTerminalIdentifier", "telephoneNumber", "internationalISDNNumber",
			"facsimileTelephoneNumber", "street", "postOfficeBox", "postalCode", "postalAddress",
			"physicalDeliveryOfficeName", "ou", "st", "l"}},
	{OID: "2.5.6.4", Names: []string{"organization"}, Desc: "RFC4519: an organization", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"o"}, May: orgMay},
	{OID: "2.5.6.5", Names: []string{"organizationalUnit"}, Desc: "RFC4519: an organizational unit", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"ou"}, May: orgMay},
	{OID: "2.5.6.9", Names: []string{"groupOfNames"}, Desc: "RFC4519: a group of names (DNs)", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"member", "cn"}, May: groupMay},
	{OID: "2.5.6.17", Names: []string{"groupOfUniqueNames"}, Desc: "RFC4519: a group of unique names (DN and optional UID)", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"uniqueMember", "cn"}, May: groupMay},
	{OID: "1.3.6.1.4.1.1466.344", Names: []string{"dcObject"}, Desc: "RFC4519: domain component object", Sup: []string{"top"}, Kind: Auxiliary,
		Must: []string{"dc"}},
	{OID: "1.3.6.1.1.3.1", Names: []string{"uidObject"}, Desc: "RFC4519: user identifier object", Sup: []string{"top"}, Kind: Auxiliary,
		Must: []string{"uid"}},

	// RFC 4524.
	{OID: "0.9.2342.19200300.100.4.5", Names: []string{"account"}, Desc: "RFC4524: a computer account", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"uid"}, May: []string{"description", "seeAlso", "l", "o", "ou", "host"}},

	// RFC 2798.
	{OID: "2.16.840.1.113730.3.2.2", Names: []string{"inetOrgPerson"}, Desc: "RFC2798: Internet organizational person", Sup: []string{"organizationalPerson"}, Kind: Structural,
		May: []string{"audio", "businessCategory", "carLicense", "departmentNumber", "displayName",
			"employeeNumber", "employeeType", "givenName", "homePhone", "homePostalAddress", "initials",
			"jpegPhoto", "labeledURI", "mail", "manager", "mobile", "o", "pager", "photo", "roomNumber",
			"secretary", "uid", "userCertificate", "x500UniqueIdentifier", "preferredLanguage",
			"userSMIMECertificate", "userPKCS12"}},
	// RFC 2079.
	{OID: "1.3.6.1.4.1.250.3.15", Names: []string{"labeledURIObject"}, Desc: "RFC2079: object that contains the URI attribute type", Sup: []string{"top"}, Kind: Auxiliary,
		May: []string{"labeledURI"}},

	// draft-howard-rfc2307bis-02: posixGroup is AUXILIARY, so that groups
	// are groupOfNames and posixGroup at once.
	{OID: "1.3.6.1.1.1.2.0", Names: []string{"posixAccount"}, Desc: "Abstraction of an account with POSIX attributes", Sup: []string{"top"}, Kind: Auxiliary,
		Must: []string{"cn", "uid", "uidNumber", "gidNumber", "homeDirectory"}, May: []string{"userPassword", "loginShell", "gecos", "description"}},
	{OID: "1.3.6.1.1.1.2.1", Names: []string{"shadowAccount"}, Desc: "Additional attributes for shadow passwords", Sup: []string{"top"}, Kind: Auxiliary,
		Must: []string{"uid"}, May: []string{"userPassword", "description", "shadowLastChange", "shadowMin", "shadowMax",
			"shadowWarning", "shadowInactive", "shadowExpire", "shadowFlag"}},
	{OID: "1.3.6.1.1.1.2.2", Names: []string{"posixGroup"}, Desc: "Abstraction of a group of accounts", Sup: []string{"top"}, Kind: Auxiliary,
		Must: []string{"gidNumber"}, May: []string{"userPassword", "memberUid", "description"}},
	{OID: "1.3.6.1.1.1.2.18", Names: []string{"groupOfMembers"}, Desc: "A group with members (DNs)", Sup: []string{"top"}, Kind: Structural,
		Must: []string{"cn"}, May: append(groupMay[:len(groupMay):len(groupMay)], "member")},
}
