package tune

import (
	"regexp"
	"strings"
	"sync"
)

var (
	// Braces, also percent-encoded once or several times (%7B, %257B...).
	openBrace  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)%(?:25)*7b`) })
	closeBrace = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)%(?:25)*7d`) })
	macro      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\{[a-z0-9_]+\}`) })
)

// UnreplacedMacro reports whether a postback parameter still holds a TUNE
// macro literally, such as "{aff_sub}" or "%7Baff_sub%7D": TUNE sends a
// macro it does not know, or a sub id that was never set, as it is. That is
// a misconfiguration of the postback URL or of the tracking link, and the
// value must not be taken for data. The macro is reported as "{name}".
// Macro names are matched regardless of case, since TUNE would not replace
// "{AFF_SUB}" either.
func UnreplacedMacro(value string) (string, bool) {
	if strings.Contains(value, "%") {
		value = openBrace().ReplaceAllLiteralString(value, "{")
		value = closeBrace().ReplaceAllLiteralString(value, "}")
	}
	m := macro().FindString(value)
	return m, m != ""
}
