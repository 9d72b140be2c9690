package clicks_test

import (
	"testing"

	"github.com/trackly/tune-integration/internal/clicks"
)

func TestRedirectURL(t *testing.T) {
	const id = "lnk1.AbC-_x.Sig_-9"
	tests := []struct {
		name, tracking, param, want string
	}{
		{"appended as aff_sub", "https://demo.go2cloud.org/aff_c?offer_id=12&aff_id=7", "", "https://demo.go2cloud.org/aff_c?offer_id=12&aff_id=7&aff_sub=" + id},
		{"other click parameter", "https://demo.go2cloud.org/aff_c?offer_id=12&aff_id=7", "aff_click_id", "https://demo.go2cloud.org/aff_c?offer_id=12&aff_id=7&aff_click_id=" + id},
		{"placeholder replaced", "https://t.example/aff_c?offer_id=1&aff_sub2={click_id}&x=1", "aff_sub", "https://t.example/aff_c?offer_id=1&aff_sub2=" + id + "&x=1"},
		{"encoded placeholder replaced", "https://t.example/aff_c?aff_sub=%7Bclick_id%7D", "", "https://t.example/aff_c?aff_sub=" + id},
		{"existing empty value replaced in place", "https://t.example/aff_c?aff_sub=&offer_id=1", "", "https://t.example/aff_c?aff_sub=" + id + "&offer_id=1"},
		{"no query yet", "https://t.example/click", "", "https://t.example/click?aff_sub=" + id},
		{"other params kept byte for byte", "https://t.example/aff_c?url=https%3A%2F%2Fx.example%2F%3Fa%3D1&b=%20c", "", "https://t.example/aff_c?url=https%3A%2F%2Fx.example%2F%3Fa%3D1&b=%20c&aff_sub=" + id},
		{"fragment kept last", "https://t.example/aff_c?o=1#top", "", "https://t.example/aff_c?o=1&aff_sub=" + id + "#top"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clicks.RedirectURL(tt.tracking, tt.param, id)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRedirectURLEncodesTheClickID(t *testing.T) {
	got, err := clicks.RedirectURL("https://t.example/aff_c?o=1", "aff_sub", "a b&c")
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://t.example/aff_c?o=1&aff_sub=a+b%26c"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRedirectURLRefusesRelativeOrOddURLs(t *testing.T) {
	for _, u := range []string{"", "/aff_c?x=1", "javascript:alert(1)", "ftp://x.example/"} {
		if _, err := clicks.RedirectURL(u, "aff_sub", "id"); err == nil {
			t.Errorf("RedirectURL(%q) accepted", u)
		}
	}
}

func TestIsBot(t *testing.T) {
	bots := []string{
		"",
		"facebookexternalhit/1.1 Facebot Twitterbot/1.0", // iMessage previews
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"WhatsApp/2.23.20.0 A",
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"Twitterbot/1.0",
		"TelegramBot (like TwitterBot)",
		"Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0 Safari/537.36 Edg/100.0 BingPreview/1.0b",
		"Discordbot/2.0; +https://discordapp.com",
		"curl/8.4.0",
		"python-requests/2.31.0",
		"Go-http-client/1.1",
		"okhttp/4.12.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
	}
	for _, ua := range bots {
		if !clicks.IsBot(ua) {
			t.Errorf("IsBot(%q) = false", ua)
		}
	}
	people := []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Line/13.20.0",
	}
	for _, ua := range people {
		if clicks.IsBot(ua) {
			t.Errorf("IsBot(%q) = true", ua)
		}
	}
}
