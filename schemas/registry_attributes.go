package schemas

// Matching rule names used in the tables below.
const (
	mrOID          = "objectIdentifierMatch"
	mrDN           = "distinguishedNameMatch"
	mrIgnore       = "caseIgnoreMatch"
	mrIgnoreOrd    = "caseIgnoreOrderingMatch"
	mrIgnoreSub    = "caseIgnoreSubstringsMatch"
	mrExact        = "caseExactMatch"
	mrIgnoreIA5    = "caseIgnoreIA5Match"
	mrIgnoreIA5Sub = "caseIgnoreIA5SubstringsMatch"
	mrExactIA5     = "caseExactIA5Match"
	mrNumeric      = "numericStringMatch"
	mrNumericSub   = "numericStringSubstringsMatch"
	mrList         = "caseIgnoreListMatch"
	mrListSub      = "caseIgnoreListSubstringsMatch"
	mrBoolean      = "booleanMatch"
	mrInteger      = "integerMatch"
	mrIntegerOrd   = "integerOrderingMatch"
	mrTel          = "telephoneNumberMatch"
	mrTelSub       = "telephoneNumberSubstringsMatch"
	mrTime         = "generalizedTimeMatch"
	mrTimeOrd      = "generalizedTimeOrderingMatch"
	mrOIDFirst     = "objectIdentifierFirstComponentMatch"
)

// attributeTable lists the attribute types served, or that clients
// commonly ask for even when no entry holds a value. Types deviating from
// their RFC are marked.
var attributeTable = []AttributeType{
	// RFC 4512 section 3.4 and X.501: operational attributes.
	{OID: "2.5.4.0", Names: []string{"objectClass"}, Desc: "RFC4512: object classes of the entry", Equality: mrOID, Syntax: synOID},
	{OID: "2.5.21.9", Names: []string{"structuralObjectClass"}, Desc: "X.501: structural object class of the entry", Equality: mrOID, Syntax: synOID, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.1", Names: []string{"createTimestamp"}, Desc: "RFC4512: time the entry was added", Equality: mrTime, Ordering: mrTimeOrd, Syntax: synGeneralizedTime, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.2", Names: []string{"modifyTimestamp"}, Desc: "RFC4512: time the entry was last modified", Equality: mrTime, Ordering: mrTimeOrd, Syntax: synGeneralizedTime, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.3", Names: []string{"creatorsName"}, Desc: "RFC4512: name of the creator", Equality: mrDN, Syntax: synDN, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.4", Names: []string{"modifiersName"}, Desc: "RFC4512: name of the last modifier", Equality: mrDN, Syntax: synDN, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.9", Names: []string{"hasSubordinates"}, Desc: "X.501: the entry has children", Equality: mrBoolean, Syntax: synBoolean, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.10", Names: []string{"subschemaSubentry"}, Desc: "RFC4512: name of the controlling subschema entry", Equality: mrDN, Syntax: synDN, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "2.5.18.6", Names: []string{"subtreeSpecification"}, Desc: "RFC3672: subtree specification", Syntax: synSubtreeSpec, SingleValue: true, Usage: UsageDirectoryOperation},
	{OID: "1.3.6.1.1.20", Names: []string{"entryDN"}, Desc: "RFC5020: DN of the entry", Equality: mrDN, Syntax: synDN, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "1.3.6.1.1.16.4", Names: []string{"entryUUID"}, Desc: "RFC4530: UUID of the entry", Equality: "UUIDMatch", Ordering: "UUIDOrderingMatch", Syntax: synUUID, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	// memberOf as OpenLDAP's memberof overlay defines it.
	{OID: "1.2.840.113556.1.2.102", Names: []string{"memberOf"}, Desc: "Group that the entry belongs to", Equality: mrDN, Syntax: synDN, NoUserModification: true, Usage: UsageDSAOperation},

	// RFC 4512 section 4.2: subschema attributes.
	{OID: "2.5.21.1", Names: []string{"dITStructureRules"}, Desc: "RFC4512: DIT structure rules", Equality: "integerFirstComponentMatch", Syntax: synDITStructureRuleDes, Usage: UsageDirectoryOperation},
	{OID: "2.5.21.2", Names: []string{"dITContentRules"}, Desc: "RFC4512: DIT content rules", Equality: mrOIDFirst, Syntax: synDITContentRuleDesc, Usage: UsageDirectoryOperation},
	{OID: "2.5.21.4", Names: []string{"matchingRules"}, Desc: "RFC4512: matching rules", Equality: mrOIDFirst, Syntax: synMatchingRuleDesc, Usage: UsageDirectoryOperation},
	{OID: "2.5.21.5", Names: []string{"attributeTypes"}, Desc: "RFC4512: attribute types", Equality: mrOIDFirst, Syntax: synAttributeTypeDesc, Usage: UsageDirectoryOperation},
	{OID: "2.5.21.6", Names: []string{"objectClasses"}, Desc: "RFC4512: object classes", Equality: mrOIDFirst, Syntax: synObjectClassDesc, Usage: UsageDirectoryOperation},
	{OID: "2.5.21.7", Names: []string{"nameForms"}, Desc: "RFC4512: name forms", Equality: mrOIDFirst, Syntax: synNameFormDesc, Usage: UsageDirectoryOperation},
	{OID: "2.5.21.8", Names: []string{"matchingRuleUse"}, Desc: "RFC4512: matching rule uses", Equality: mrOIDFirst, Syntax: synMatchingRuleUseDesc, Usage: UsageDirectoryOperation},
	{OID: "1.3.6.1.4.1.1466.101.120.16", Names: []string{"ldapSyntaxes"}, Desc: "RFC4512: LDAP syntaxes", Equality: mrOIDFirst, Syntax: synLDAPSyntaxDesc, Usage: UsageDirectoryOperation},

	// RFC 4512 section 5.1: root DSE attributes.
	{OID: "1.3.6.1.4.1.1466.101.120.6", Names: []string{"altServer"}, Desc: "RFC4512: alternative servers", Syntax: synIA5String, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.4.1.1466.101.120.5", Names: []string{"namingContexts"}, Desc: "RFC4512: naming contexts", Syntax: synDN, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.4.1.1466.101.120.13", Names: []string{"supportedControl"}, Desc: "RFC4512: supported controls", Syntax: synOID, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.4.1.1466.101.120.7", Names: []string{"supportedExtension"}, Desc: "RFC4512: supported extended operations", Syntax: synOID, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.4.1.4203.1.3.5", Names: []string{"supportedFeatures"}, Desc: "RFC4512: features supported by the server", Equality: mrOID, Syntax: synOID, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.4.1.1466.101.120.15", Names: []string{"supportedLDAPVersion"}, Desc: "RFC4512: supported LDAP versions", Syntax: synInteger, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.4.1.1466.101.120.14", Names: []string{"supportedSASLMechanisms"}, Desc: "RFC4512: supported SASL mechanisms", Syntax: synDirectoryString, Usage: UsageDSAOperation},
	// RFC 3045.
	{OID: "1.3.6.1.1.4", Names: []string{"vendorName"}, Desc: "RFC3045: name of the implementation vendor", Equality: mrExactIA5, Syntax: synDirectoryString, SingleValue: true, NoUserModification: true, Usage: UsageDSAOperation},
	{OID: "1.3.6.1.1.5", Names: []string{"vendorVersion"}, Desc: "RFC3045: version of the implementation", Equality: mrExactIA5, Syntax: synDirectoryString, SingleValue: true, NoUserModification: true, Usage: UsageDSAOperation},

	// Password policy (draft-behera-ldap-password-policy), as OpenLDAP's
	// ppolicy overlay defines them.
	{OID: "1.3.6.1.4.1.42.2.27.8.1.16", Names: []string{"pwdChangedTime"}, Desc: "The time the password was last changed", Equality: mrTime, Ordering: mrTimeOrd, Syntax: synGeneralizedTime, SingleValue: true, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "1.3.6.1.4.1.42.2.27.8.1.17", Names: []string{"pwdAccountLockedTime"}, Desc: "The time an user account was locked", Equality: mrTime, Ordering: mrTimeOrd, Syntax: synGeneralizedTime, SingleValue: true, Usage: UsageDirectoryOperation},
	{OID: "1.3.6.1.4.1.42.2.27.8.1.19", Names: []string{"pwdFailureTime"}, Desc: "The timestamps of the last consecutive authentication failures", Equality: mrTime, Ordering: mrTimeOrd, Syntax: synGeneralizedTime, NoUserModification: true, Usage: UsageDirectoryOperation},
	{OID: "1.3.6.1.4.1.42.2.27.8.1.28", Names: []string{"pwdEndTime"}, Desc: "The time the password becomes disabled", Equality: mrTime, Ordering: mrTimeOrd, Syntax: synGeneralizedTime, SingleValue: true, Usage: UsageDirectoryOperation},

	// RFC 4519: core user attributes.
	{OID: "2.5.4.41", Names: []string{"name"}, Desc: "RFC4519: common supertype of name attributes", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.49", Names: []string{"distinguishedName"}, Desc: "RFC4519: common supertype of DN attributes", Equality: mrDN, Syntax: synDN},
	{OID: "2.5.4.3", Names: []string{"cn", "commonName"}, Desc: "RFC4519: common name(s) of the entity", Sup: "name"},
	{OID: "2.5.4.4", Names: []string{"sn", "surname"}, Desc: "RFC4519: family name(s)", Sup: "name"},
	{OID: "2.5.4.42", Names: []string{"givenName", "gn"}, Desc: "RFC4519: first name(s)", Sup: "name"},
	{OID: "2.5.4.43", Names: []string{"initials"}, Desc: "RFC4519: initials of some or all given names", Sup: "name"},
	{OID: "2.5.4.44", Names: []string{"generationQualifier"}, Desc: "RFC4519: generation qualifier, e.g. Jr.", Sup: "name"},
	{OID: "2.5.4.12", Names: []string{"title"}, Desc: "RFC4519: title", Sup: "name"},
	{OID: "2.5.4.6", Names: []string{"c", "countryName"}, Desc: "RFC4519: two-letter ISO 3166 country code", Sup: "name", Syntax: synCountryString, SingleValue: true},
	{OID: "2.5.4.7", Names: []string{"l", "localityName"}, Desc: "RFC4519: locality", Sup: "name"},
	{OID: "2.5.4.8", Names: []string{"st", "stateOrProvinceName"}, Desc: "RFC4519: state or province", Sup: "name"},
	{OID: "2.5.4.10", Names: []string{"o", "organizationName"}, Desc: "RFC4519: organization", Sup: "name"},
	{OID: "2.5.4.11", Names: []string{"ou", "organizationalUnitName"}, Desc: "RFC4519: organizational unit", Sup: "name"},
	{OID: "0.9.2342.19200300.100.1.1", Names: []string{"uid", "userid"}, Desc: "RFC4519: user identifier", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.25", Names: []string{"dc", "domainComponent"}, Desc: "RFC4519: DNS domain component", Equality: mrIgnoreIA5, Substr: mrIgnoreIA5Sub, Syntax: synIA5String, SingleValue: true},
	{OID: "2.5.4.13", Names: []string{"description"}, Desc: "RFC4519: descriptive information", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.15", Names: []string{"businessCategory"}, Desc: "RFC4519: business category", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.9", Names: []string{"street", "streetAddress"}, Desc: "RFC4519: street address", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.16", Names: []string{"postalAddress"}, Desc: "RFC4519: postal address", Equality: mrList, Substr: mrListSub, Syntax: synPostalAddress},
	{OID: "2.5.4.26", Names: []string{"registeredAddress"}, Desc: "RFC4519: registered postal address", Sup: "postalAddress", Syntax: synPostalAddress},
	{OID: "2.5.4.17", Names: []string{"postalCode"}, Desc: "RFC4519: postal code", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.18", Names: []string{"postOfficeBox"}, Desc: "RFC4519: post office box", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.19", Names: []string{"physicalDeliveryOfficeName"}, Desc: "RFC4519: physical delivery office name", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.51", Names: []string{"houseIdentifier"}, Desc: "RFC4519: house identifier", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.5.4.20", Names: []string{"telephoneNumber"}, Desc: "RFC4519: telephone number", Equality: mrTel, Substr: mrTelSub, Syntax: synTelephoneNumber},
	{OID: "2.5.4.23", Names: []string{"facsimileTelephoneNumber", "fax"}, Desc: "RFC4519: facsimile telephone number", Syntax: synFacsimile},
	{OID: "2.5.4.21", Names: []string{"telexNumber"}, Desc: "RFC4519: telex number", Syntax: synTelexNumber},
	{OID: "2.5.4.22", Names: []string{"teletexTerminalIdentifier"}, Desc: "RFC4519: teletex terminal identifier", Syntax: synTeletexTerminalID},
	{OID: "2.5.4.24", Names: []string{"x121Address"}, Desc: "RFC4519: X.121 address", Equality: mrNumeric, Substr: mrNumericSub, Syntax: synNumericString},
	{OID: "2.5.4.25", Names: []string{"internationalISDNNumber"}, Desc: "RFC4519: international ISDN number", Equality: mrNumeric, Substr: mrNumericSub, Syntax: synNumericString},
	{OID: "2.5.4.27", Names: []string{"destinationIndicator"}, Desc: "RFC4519: destination indicator", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synPrintableString},
	{OID: "2.5.4.28", Names: []string{"preferredDeliveryMethod"}, Desc: "RFC4519: preferred delivery method", Syntax: synDeliveryMethod, SingleValue: true},
	{OID: "2.5.4.14", Names: []string{"searchGuide"}, Desc: "RFC4519: search guide", Syntax: synGuide},
	{OID: "2.5.4.5", Names: []string{"serialNumber"}, Desc: "RFC4519: serial number of a device", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synPrintableString},
	{OID: "2.5.4.46", Names: []string{"dnQualifier"}, Desc: "RFC4519: DN qualifier", Equality: mrIgnore, Ordering: mrIgnoreOrd, Substr: mrIgnoreSub, Syntax: synPrintableString},
	{OID: "2.5.4.31", Names: []string{"member"}, Desc: "RFC4519: member of a group", Sup: "distinguishedName"},
	{OID: "2.5.4.32", Names: []string{"owner"}, Desc: "RFC4519: owner of the object", Sup: "distinguishedName"},
	{OID: "2.5.4.33", Names: []string{"roleOccupant"}, Desc: "RFC4519: occupant of a role", Sup: "distinguishedName"},
	{OID: "2.5.4.34", Names: []string{"seeAlso"}, Desc: "RFC4519: DN of a related object", Sup: "distinguishedName"},
	{OID: "2.5.4.50", Names: []string{"uniqueMember"}, Desc: "RFC4519: member of a group of unique names", Equality: "uniqueMemberMatch", Syntax: synNameAndOptionalUID},
	{OID: "2.5.4.35", Names: []string{"userPassword"}, Desc: "RFC4519: password of the user", Equality: "octetStringMatch", Syntax: synOctetString},
	{OID: "2.5.4.45", Names: []string{"x500UniqueIdentifier"}, Desc: "RFC4519: X.500 unique identifier", Equality: "bitStringMatch", Syntax: synBitString},
	// RFC 4523 gives userCertificate EQUALITY certificateExactMatch, which
	// is not implemented (no entry holds certificates): filters on it are
	// Undefined, as for a type without an equality rule.
	{OID: "2.5.4.36", Names: []string{"userCertificate"}, Desc: "RFC4523: X.509 user certificate, use ;binary", Syntax: synCertificate},

	// RFC 4524 (COSINE).
	{OID: "0.9.2342.19200300.100.1.3", Names: []string{"mail", "rfc822Mailbox"}, Desc: "RFC4524: RFC 822 mailbox", Equality: mrIgnoreIA5, Substr: mrIgnoreIA5Sub, Syntax: synIA5String},
	{OID: "0.9.2342.19200300.100.1.37", Names: []string{"associatedDomain"}, Desc: "RFC4524: DNS domain associated with the object", Equality: mrIgnoreIA5, Substr: mrIgnoreIA5Sub, Syntax: synIA5String},
	{OID: "0.9.2342.19200300.100.1.48", Names: []string{"buildingName"}, Desc: "RFC4524: name of the building", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.43", Names: []string{"co", "friendlyCountryName"}, Desc: "RFC4524: friendly country name", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.20", Names: []string{"homePhone", "homeTelephoneNumber"}, Desc: "RFC4524: home telephone number", Equality: mrTel, Substr: mrTelSub, Syntax: synTelephoneNumber},
	{OID: "0.9.2342.19200300.100.1.39", Names: []string{"homePostalAddress"}, Desc: "RFC4524: home postal address", Equality: mrList, Substr: mrListSub, Syntax: synPostalAddress},
	{OID: "0.9.2342.19200300.100.1.9", Names: []string{"host"}, Desc: "RFC4524: host computer", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.4", Names: []string{"info"}, Desc: "RFC4524: general information", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.10", Names: []string{"manager"}, Desc: "RFC4524: DN of the manager", Equality: mrDN, Syntax: synDN},
	{OID: "0.9.2342.19200300.100.1.41", Names: []string{"mobile", "mobileTelephoneNumber"}, Desc: "RFC4524: mobile telephone number", Equality: mrTel, Substr: mrTelSub, Syntax: synTelephoneNumber},
	{OID: "0.9.2342.19200300.100.1.45", Names: []string{"organizationalStatus"}, Desc: "RFC4524: organizational status", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.42", Names: []string{"pager", "pagerTelephoneNumber"}, Desc: "RFC4524: pager telephone number", Equality: mrTel, Substr: mrTelSub, Syntax: synTelephoneNumber},
	{OID: "0.9.2342.19200300.100.1.40", Names: []string{"personalTitle"}, Desc: "RFC4524: personal title", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.6", Names: []string{"roomNumber"}, Desc: "RFC4524: room number", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.21", Names: []string{"secretary"}, Desc: "RFC4524: DN of the secretary", Equality: mrDN, Syntax: synDN},
	{OID: "0.9.2342.19200300.100.1.44", Names: []string{"uniqueIdentifier"}, Desc: "RFC4524: unique identifier", Equality: mrIgnore, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.8", Names: []string{"userClass"}, Desc: "RFC4524: category of user", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	// RFC 1274, referred to by inetOrgPerson.
	{OID: "0.9.2342.19200300.100.1.7", Names: []string{"photo"}, Desc: "RFC1274: photo (G3 fax)", Syntax: synFax},
	{OID: "0.9.2342.19200300.100.1.55", Names: []string{"audio"}, Desc: "RFC1274: audio (u-law)", Syntax: synAudio},

	// RFC 2798 (inetOrgPerson) and RFC 2079.
	{OID: "2.16.840.1.113730.3.1.1", Names: []string{"carLicense"}, Desc: "RFC2798: vehicle license or registration plate", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.16.840.1.113730.3.1.2", Names: []string{"departmentNumber"}, Desc: "RFC2798: department within the organization", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "2.16.840.1.113730.3.1.241", Names: []string{"displayName"}, Desc: "RFC2798: preferred name when displaying the entry", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString, SingleValue: true},
	{OID: "2.16.840.1.113730.3.1.3", Names: []string{"employeeNumber"}, Desc: "RFC2798: employee number", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString, SingleValue: true},
	{OID: "2.16.840.1.113730.3.1.4", Names: []string{"employeeType"}, Desc: "RFC2798: type of employment", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString},
	{OID: "0.9.2342.19200300.100.1.60", Names: []string{"jpegPhoto"}, Desc: "RFC2798: a JPEG image", Syntax: synJPEG},
	{OID: "2.16.840.1.113730.3.1.39", Names: []string{"preferredLanguage"}, Desc: "RFC2798: preferred written or spoken language", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString, SingleValue: true},
	{OID: "2.16.840.1.113730.3.1.40", Names: []string{"userSMIMECertificate"}, Desc: "RFC2798: PKCS#7 SignedData for S/MIME", Syntax: synBinary},
	{OID: "2.16.840.1.113730.3.1.216", Names: []string{"userPKCS12"}, Desc: "RFC2798: PKCS #12 PFX of personal identity information", Syntax: synBinary},
	{OID: "1.3.6.1.4.1.250.1.57", Names: []string{"labeledURI"}, Desc: "RFC2079: URI with an optional label", Equality: mrExact, Syntax: synDirectoryString},

	// draft-howard-rfc2307bis-02 (POSIX accounts and groups).
	{OID: "1.3.6.1.1.1.1.0", Names: []string{"uidNumber"}, Desc: "RFC2307bis: integer identifying a user", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.1", Names: []string{"gidNumber"}, Desc: "RFC2307bis: integer identifying a group", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.2", Names: []string{"gecos"}, Desc: "RFC2307bis: the GECOS field", Equality: mrIgnore, Substr: mrIgnoreSub, Syntax: synDirectoryString, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.3", Names: []string{"homeDirectory"}, Desc: "RFC2307bis: absolute path to the home directory", Equality: mrExactIA5, Syntax: synIA5String, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.4", Names: []string{"loginShell"}, Desc: "RFC2307bis: path to the login shell", Equality: mrExactIA5, Syntax: synIA5String, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.5", Names: []string{"shadowLastChange"}, Desc: "RFC2307bis: day of the last password change", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.6", Names: []string{"shadowMin"}, Desc: "RFC2307bis: minimum days between password changes", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.7", Names: []string{"shadowMax"}, Desc: "RFC2307bis: maximum days a password is valid", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.8", Names: []string{"shadowWarning"}, Desc: "RFC2307bis: days of warning before the password expires", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.9", Names: []string{"shadowInactive"}, Desc: "RFC2307bis: days of inactivity allowed after expiry", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.10", Names: []string{"shadowExpire"}, Desc: "RFC2307bis: day the account expires", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.11", Names: []string{"shadowFlag"}, Desc: "RFC2307bis: reserved", Equality: mrInteger, Ordering: mrIntegerOrd, Syntax: synInteger, SingleValue: true},
	{OID: "1.3.6.1.1.1.1.12", Names: []string{"memberUid"}, Desc: "RFC2307bis: user name of a group member", Equality: mrExact, Syntax: synDirectoryString},
}
