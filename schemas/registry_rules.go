package schemas

// Syntax OIDs (RFC 4517 section 3.3 unless noted).
const (
	sx = "1.3.6.1.4.1.1466.115.121.1."

	synAttributeTypeDesc   = sx + "3"
	synAudio               = sx + "4" // RFC 2252, kept for audio
	synBinary              = sx + "5" // RFC 2252, kept for RFC 2798's binaries
	synBitString           = sx + "6"
	synBoolean             = sx + "7"
	synCertificate         = sx + "8" // RFC 4523
	synCountryString       = sx + "11"
	synDN                  = sx + "12"
	synDeliveryMethod      = sx + "14"
	synDirectoryString     = sx + "15"
	synDITContentRuleDesc  = sx + "16"
	synDITStructureRuleDes = sx + "17"
	synFacsimile           = sx + "22"
	synFax                 = sx + "23"
	synGeneralizedTime     = sx + "24"
	synGuide               = sx + "25"
	synIA5String           = sx + "26"
	synInteger             = sx + "27"
	synJPEG                = sx + "28"
	synMatchingRuleDesc    = sx + "30"
	synMatchingRuleUseDesc = sx + "31"
	synNameAndOptionalUID  = sx + "34"
	synNameFormDesc        = sx + "35"
	synNumericString       = sx + "36"
	synObjectClassDesc     = sx + "37"
	synOID                 = sx + "38"
	synOctetString         = sx + "40"
	synPostalAddress       = sx + "41"
	synPrintableString     = sx + "44"
	synSubtreeSpec         = sx + "45" // RFC 3672
	synTelephoneNumber     = sx + "50"
	synTeletexTerminalID   = sx + "51"
	synTelexNumber         = sx + "52"
	synLDAPSyntaxDesc      = sx + "54"
	synSubstringAssertion  = sx + "58"
	synUUID                = "1.3.6.1.1.16.1" // RFC 4530
)

// syntaxTable lists the syntaxes the attribute types and matching rules
// use.
var syntaxTable = []Syntax{
	{OID: synAttributeTypeDesc, Desc: "Attribute Type Description"},
	{OID: synAudio, Desc: "Audio", NotHumanReadable: true},
	{OID: synBinary, Desc: "Binary", NotHumanReadable: true},
	{OID: synBitString, Desc: "Bit String"},
	{OID: synBoolean, Desc: "Boolean"},
	{OID: synCertificate, Desc: "Certificate", BinaryTransferRequired: true, NotHumanReadable: true},
	{OID: synCountryString, Desc: "Country String"},
	{OID: synDN, Desc: "DN"},
	{OID: synDeliveryMethod, Desc: "Delivery Method"},
	{OID: synDirectoryString, Desc: "Directory String"},
	{OID: synDITContentRuleDesc, Desc: "DIT Content Rule Description"},
	{OID: synDITStructureRuleDes, Desc: "DIT Structure Rule Description"},
	{OID: synFacsimile, Desc: "Facsimile Telephone Number"},
	{OID: synFax, Desc: "Fax", NotHumanReadable: true},
	{OID: synGeneralizedTime, Desc: "Generalized Time"},
	{OID: synGuide, Desc: "Guide"},
	{OID: synIA5String, Desc: "IA5 String"},
	{OID: synInteger, Desc: "INTEGER"},
	{OID: synJPEG, Desc: "JPEG", NotHumanReadable: true},
	{OID: synMatchingRuleDesc, Desc: "Matching Rule Description"},
	{OID: synMatchingRuleUseDesc, Desc: "Matching Rule Use Description"},
	{OID: synNameAndOptionalUID, Desc: "Name And Optional UID"},
	{OID: synNameFormDesc, Desc: "Name Form Description"},
	{OID: synNumericString, Desc: "Numeric String"},
	{OID: synObjectClassDesc, Desc: "Object Class Description"},
	{OID: synOID, Desc: "OID"},
	{OID: synOctetString, Desc: "Octet String", NotHumanReadable: true},
	{OID: synPostalAddress, Desc: "Postal Address"},
	{OID: synPrintableString, Desc: "Printable String"},
	{OID: synSubtreeSpec, Desc: "SubtreeSpecification"},
	{OID: synTelephoneNumber, Desc: "Telephone Number"},
	{OID: synTeletexTerminalID, Desc: "Teletex Terminal Identifier"},
	{OID: synTelexNumber, Desc: "Telex Number"},
	{OID: synLDAPSyntaxDesc, Desc: "LDAP Syntax Description"},
	{OID: synSubstringAssertion, Desc: "Substring Assertion"},
	{OID: synUUID, Desc: "UUID"},
}

// ruleTable lists the matching rules the LDAP server implements (package
// ldapserver, match.go), from RFC 4517 unless noted. Every rule an
// attribute type names must be here.
var ruleTable = []MatchingRule{
	{OID: "2.5.13.0", Name: "objectIdentifierMatch", Syntax: synOID, Kind: EqualityRule},
	{OID: "2.5.13.1", Name: "distinguishedNameMatch", Syntax: synDN, Kind: EqualityRule},
	{OID: "2.5.13.2", Name: "caseIgnoreMatch", Syntax: synDirectoryString, Kind: EqualityRule},
	{OID: "2.5.13.3", Name: "caseIgnoreOrderingMatch", Syntax: synDirectoryString, Kind: OrderingRule},
	{OID: "2.5.13.4", Name: "caseIgnoreSubstringsMatch", Syntax: synSubstringAssertion, Kind: SubstringsRule},
	{OID: "2.5.13.5", Name: "caseExactMatch", Syntax: synDirectoryString, Kind: EqualityRule},
	{OID: "2.5.13.6", Name: "caseExactOrderingMatch", Syntax: synDirectoryString, Kind: OrderingRule},
	{OID: "2.5.13.7", Name: "caseExactSubstringsMatch", Syntax: synSubstringAssertion, Kind: SubstringsRule},
	{OID: "2.5.13.8", Name: "numericStringMatch", Syntax: synNumericString, Kind: EqualityRule},
	{OID: "2.5.13.9", Name: "numericStringOrderingMatch", Syntax: synNumericString, Kind: OrderingRule},
	{OID: "2.5.13.10", Name: "numericStringSubstringsMatch", Syntax: synSubstringAssertion, Kind: SubstringsRule},
	{OID: "2.5.13.11", Name: "caseIgnoreListMatch", Syntax: synPostalAddress, Kind: EqualityRule},
	{OID: "2.5.13.12", Name: "caseIgnoreListSubstringsMatch", Syntax: synSubstringAssertion, Kind: SubstringsRule},
	{OID: "2.5.13.13", Name: "booleanMatch", Syntax: synBoolean, Kind: EqualityRule},
	{OID: "2.5.13.14", Name: "integerMatch", Syntax: synInteger, Kind: EqualityRule},
	{OID: "2.5.13.15", Name: "integerOrderingMatch", Syntax: synInteger, Kind: OrderingRule},
	{OID: "2.5.13.16", Name: "bitStringMatch", Syntax: synBitString, Kind: EqualityRule},
	{OID: "2.5.13.17", Name: "octetStringMatch", Syntax: synOctetString, Kind: EqualityRule},
	{OID: "2.5.13.18", Name: "octetStringOrderingMatch", Syntax: synOctetString, Kind: OrderingRule},
	{OID: "2.5.13.20", Name: "telephoneNumberMatch", Syntax: synTelephoneNumber, Kind: EqualityRule},
	{OID: "2.5.13.21", Name: "telephoneNumberSubstringsMatch", Syntax: synSubstringAssertion, Kind: SubstringsRule},
	{OID: "2.5.13.23", Name: "uniqueMemberMatch", Syntax: synNameAndOptionalUID, Kind: EqualityRule},
	{OID: "2.5.13.27", Name: "generalizedTimeMatch", Syntax: synGeneralizedTime, Kind: EqualityRule},
	{OID: "2.5.13.28", Name: "generalizedTimeOrderingMatch", Syntax: synGeneralizedTime, Kind: OrderingRule},
	{OID: "2.5.13.29", Name: "integerFirstComponentMatch", Syntax: synInteger, Kind: EqualityRule},
	{OID: "2.5.13.30", Name: "objectIdentifierFirstComponentMatch", Syntax: synOID, Kind: EqualityRule},
	{OID: "1.3.6.1.4.1.1466.109.114.1", Name: "caseExactIA5Match", Syntax: synIA5String, Kind: EqualityRule},
	{OID: "1.3.6.1.4.1.1466.109.114.2", Name: "caseIgnoreIA5Match", Syntax: synIA5String, Kind: EqualityRule},
	{OID: "1.3.6.1.4.1.1466.109.114.3", Name: "caseIgnoreIA5SubstringsMatch", Syntax: synSubstringAssertion, Kind: SubstringsRule},
	// RFC 4530.
	{OID: "1.3.6.1.1.16.2", Name: "UUIDMatch", Syntax: synUUID, Kind: EqualityRule},
	{OID: "1.3.6.1.1.16.3", Name: "UUIDOrderingMatch", Syntax: synUUID, Kind: OrderingRule},
	// Active Directory's bitwise rules, as OpenLDAP names them.
	{OID: "1.2.840.113556.1.4.803", Name: "integerBitAndMatch", Syntax: synInteger, Kind: EqualityRule},
	{OID: "1.2.840.113556.1.4.804", Name: "integerBitOrMatch", Syntax: synInteger, Kind: EqualityRule},
}
