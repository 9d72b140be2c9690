package clicks

import (
	"regexp"
	"strings"
	"sync"
)

// botAgents matches the user agents of link previewers, scanners, crawlers and
// HTTP libraries. Their taps are redirected like anyone's but not counted.
var botAgents = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)` + strings.Join([]string{
		`bot/`, `bot;`, `bot\)`, `\+https?://`, `crawler`, `spider`, `preview`, `scanner`, `headless`,
		`facebookexternalhit`, `facebot`, `whatsapp`, `twitterbot`, `slackbot`, `slack-imgproxy`,
		`telegrambot`, `skypeuripreview`, `discordbot`, `linkedinbot`, `redditbot`,
		`applebot`, `googlebot`, `google-inspectiontool`, `googleother`, `feedfetcher-google`, `google-read-aloud`,
		`apis-google`, `adsbot-google`, `mediapartners-google`, `bingbot`, `bingpreview`, `msnbot`,
		`microsoftpreview`, `microsoft office`, `ms-office`, `yandex`, `baiduspider`,
		`duckduckbot`, `vkshare`, `kakaotalk-scrap`, `embedly`, `iframely`, `quora link preview`,
		`curl/`, `wget/`, `python-requests`, `python-urllib`, `aiohttp`, `httpx`, `go-http-client`, `okhttp`,
		`java/`, `apache-httpclient`, `libwww-perl`, `node-fetch`, `axios/`, `undici`, `postmanruntime`, `insomnia`,
		`php/`, `ruby/`, `guzzlehttp`, `http_request`, `lighthouse`, `pingdom`, `uptimerobot`, `checkly`,
	}, "|"))
})

// iMessage's link previewer presents itself as both Facebook's and Twitter's crawler.
// An empty user agent is no person's phone either.

// IsBot reports whether userAgent belongs to a previewer, scanner or library rather than a person.
func IsBot(userAgent string) bool {
	ua := strings.TrimSpace(userAgent)
	return ua == "" || botAgents().MatchString(ua)
}
