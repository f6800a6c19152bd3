package e2e_test

import (
	"archive/zip"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// webBuildspec prints the project's GREETING, HTML, a script tag and
// colours (which the page must show as text), then lines slowly enough to
// watch them arrive, and writes a JUnit report with a failure.
const webBuildspec = `version: 0.2
phases:
  build:
    commands:
      - sleep ${PAUSE:-0}
      - echo "greeting is $GREETING"
      - printf '\033[31mred alert\033[0m and <b>not bold</b> <script>window.pwned=1</script> <img src=x onerror=window.pwned=2>\n'
      - for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "tick $i"; sleep 0.25; done
      - |
        cat > junit.xml <<'XML'
        <testsuites><testsuite name="web" tests="3">
        <testcase classname="ui" name="renders" time="0.5"/>
        <testcase classname="ui" name="escapes" time="0.25"><failure message="expected &lt;b&gt; as text">trace line</failure></testcase>
        <testcase classname="ui" name="scrolls" time="0.1"/>
        </testsuite></testsuites>
        XML
reports:
  unit:
    files: [junit.xml]
    file-format: JUNITXML
`

// webGraphBuildspec is graphBuildspec whose builds wait while the file
// $HOLD exists, so that a batch started from the UI is still running
// when the test stops it.
const webGraphBuildspec = graphBuildspec + `      - while [ -n "$HOLD" ] && [ -e "$HOLD" ]; do sleep 0.1; done
`

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on the PATH (apt-get install chromium; scripts/test installs it): the web UI's browser test needs one")
	return ""
}

// screenshots is where the browser test saves its screenshots:
// $CODEYARD_SCREENSHOTS, or testdata/screenshots (ignored by git).
func screenshots(t *testing.T) string {
	dir := os.Getenv("CODEYARD_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWebUI drives the web UI in headless Chromium against the real
// server: sign in, create a project with an environment variable through
// the form, start a build and watch its log lines (the variable's among
// them) arrive live, open its test report, stop a build, see a 404, open
// the report group's trend charts, edit the project to upload artifacts
// and add a variable, download an artifact, search the log and follow a
// line's permalink, open a batch build's graph, start a batch build, stop
// it and retry it, add a webhook, look at the dashboard at a phone's
// width, sign out. Each page is saved as a screenshot.
func TestWebUI(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	srv := startServer(t)
	shots := screenshots(t)

	cmd := exec.Command(binary, "users", "create", "tester", "--password-stdin", "--data-dir", srv.dataDir)
	cmd.Env = append(os.Environ(), "CODEYARD_HOME="+srv.home)
	cmd.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("codeyard users create: %v\n%s", err, out)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// fail saves the page as it is and ends the test.
	fail := func(step string, err error) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 5*time.Second)
		if buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(shots, "failed-"+strings.ReplaceAll(step, " ", "-")+".png"), buf, 0o644)
		}
		c()
		t.Fatalf("%s: %v", step, err)
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, time.Minute)
		defer c()
		if err := chromedp.Do(sctx, actions...); err != nil {
			fail(step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 10*time.Second)
		defer c()
		v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			fail("text of "+sel, err)
		}
		return v
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			fail("evaluate "+expr, err)
		}
		return v
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	// Start the browser on a context without a deadline (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	xp := func(s string) chromedp.Search { return chromedp.Search(s) }
	// waitStatus waits for the build page to show a status, through the
	// reload that the build's end makes.
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			sctx, c := context.WithTimeout(ctx, 2*time.Second)
			got, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
			c()
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				fail("wait for "+want, fmt.Errorf("status %q (%v)", got, err))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// An unauthenticated browser at / lands on the sign-in page.
	run("open /", chromedp.Navigate(srv.endpoint+"/"), chromedp.WaitVisible(id("name")), shot("01-login"))
	run("wrong password",
		chromedp.SendKeys(css(`#name`), "tester"), chromedp.SendKeys(css(`#password`), "wrong"),
		chromedp.Click(css(`form button[type=submit]`)), chromedp.WaitVisible(id("login-error")))
	run("sign in",
		chromedp.SetValue(css(`#password`), "correct horse battery"),
		chromedp.Click(css(`form button[type=submit]`)), chromedp.WaitVisible(id("active-h")), shot("02-dashboard"))

	run("new project form",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/new"), chromedp.WaitVisible(id("buildspec")),
		chromedp.SetValue(css(`#name`), "bad name!"),
		chromedp.Click(css(`form.card button[type=submit]`)), chromedp.WaitVisible(id("name-err")), shot("03-project-form-error"))
	run("create project",
		chromedp.SetValue(css(`#name`), "web-demo"),
		chromedp.SetValue(css(`#description`), "made in the browser"),
		chromedp.SetValue(css(`#buildspec`), webBuildspec),
		chromedp.SetValue(css(`#envName-0`), "GREETING"), chromedp.SetValue(css(`#envValue-0`), "hello from the form"),
		chromedp.Click(css(`form.card button[type=submit]`)), chromedp.WaitVisible(xp(`//h2[text()="Build history"]`)), shot("04-project"))
	if vars := text("#project-vars tbody"); !strings.Contains(vars, "GREETING") || !strings.Contains(vars, "hello from the form") || !strings.Contains(vars, "PLAINTEXT") {
		t.Errorf("project page's variables: %q, want GREETING, its value and PLAINTEXT", vars)
	}

	// Start a build and see its lines arrive while the page stays.
	run("start build",
		chromedp.Click(css(`details.card summary`)), chromedp.WaitVisible(id("sourceVersion")),
		chromedp.Click(css(`form.start button[type=submit]`)), chromedp.WaitVisible(id("log")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`window.stayed = true`)(ctx, tg)
			return err
		}))
	run("live log", chromedp.WaitVisible(id("L4")))
	status, stayed := text("#status"), eval(`String(window.stayed === true)`)
	run("screenshot live", shot("05-build-live"))
	if status != "IN_PROGRESS" || stayed != "true" {
		t.Errorf("while lines arrive: status %q, same page %s; want IN_PROGRESS on the same page", status, stayed)
	}
	// The build's end reloads the page with its final state.
	waitStatus("SUCCEEDED")
	run("build ended", chromedp.WaitVisible(id("L14")), shot("06-build-done"))
	// logLine waits for the build page's log to show a line (through the
	// reload that the build's end makes).
	logLine := func(line string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(xp(`//*[@id="log"]//*[contains(concat(" ", @class, " "), " t ") and normalize-space(.)=` + fmt.Sprintf("%q", line) + `]`))
	}
	run("project's variable in the log", logLine("greeting is hello from the form"))
	pwned, red := eval(`String(window.pwned)`), text(".log .f1")
	line := eval(`document.querySelector(".log .f1").closest(".l").querySelector(".t").textContent`)
	if pwned != "undefined" || !strings.Contains(line, "<script>window.pwned=1</script>") || !strings.Contains(line, "<b>not bold</b>") || red != "red alert" {
		t.Errorf("log line in red: pwned=%s, text %q, red %q; want the markup shown as text, and red alert in red", pwned, line, red)
	}

	// The test report: the failure first, with its message.
	run("report", chromedp.Click(css(`.reports a`)), chromedp.WaitVisible(css(`table.cases`)), shot("07-report"))
	if row := text("table.cases tbody tr:first-child"); !strings.Contains(row, "FAILED") || !strings.Contains(row, "escapes") || !strings.Contains(row, "expected <b> as text") {
		t.Errorf("first test case row = %q, want the failed case with its message", row)
	}

	// Stop a build that waits.
	run("start slow build",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/web-demo"), chromedp.Click(css(`details.card summary`)),
		chromedp.SetValue(css(`#env`), "PAUSE=60"),
		chromedp.Click(css(`form.start button[type=submit]`)), chromedp.WaitVisible(id("log")))
	run("stop build", chromedp.Click(xp(`//button[text()="Stop build"]`)))
	waitStatus("STOPPED")
	run("stopped", shot("08-build-stopped"))

	run("dashboard", chromedp.Navigate(srv.endpoint+"/_codeyard/"), chromedp.WaitVisible(id("recent-h")), shot("09-dashboard-builds"))
	run("projects", chromedp.Navigate(srv.endpoint+"/_codeyard/projects"), chromedp.WaitVisible(css(`table`)), shot("10-projects"))
	run("404", chromedp.Navigate(srv.endpoint+"/_codeyard/builds/web-demo:nope"), chromedp.WaitVisible(css(`.error`)), shot("11-not-found"))
	if h := text(".error h1"); h != "Not Found" {
		t.Errorf("missing build page says %q, want Not Found", h)
	}

	// The report group of the first build's report: its trends as SVG.
	run("report groups", chromedp.Navigate(srv.endpoint+"/_codeyard/report-groups"), chromedp.WaitVisible(xp(`//a[text()="web-demo-unit"]`)), shot("12-report-groups"))
	run("report group", chromedp.Click(xp(`//a[text()="web-demo-unit"]`)), chromedp.WaitVisible(css(`svg.chart circle`)), shot("13-report-group"))
	if n, title := eval(`String(document.querySelectorAll("svg.chart").length)`), eval(`document.getElementById("trend-pass_rate-t").textContent`); n != "2" || title != "Pass rate of the last 1 reports" {
		t.Errorf("report group page: %s charts, pass rate chart %q; want 2 charts and the pass rate of 1 report", n, title)
	}
	if rate := eval(`document.querySelector("svg.chart circle title").textContent`); !strings.HasSuffix(rate, ": 66.7%") {
		t.Errorf("pass rate point's title = %q, want 66.7%%", rate)
	}

	// Edit the project: a bad bucket is refused next to its field, then
	// artifacts go to a bucket of the server's S3 store.
	createBuckets(t, srv.s3(), "web-artifacts")
	run("edit project form",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/web-demo"), chromedp.Click(xp(`//a[text()="Edit project"]`)),
		chromedp.WaitVisible(id("artifactsType")),
		chromedp.SetValue(css(`#artifactsType`), "S3"), chromedp.SetValue(css(`#artifactsLocation`), "Not_A_Bucket"),
		chromedp.SetValue(css(`#artifactsName`), "web.zip"), chromedp.SetValue(css(`#artifactsPackaging`), "ZIP"),
		chromedp.Click(css(`form.card button[type=submit]`)), chromedp.WaitVisible(id("artifactsLocation-err")), shot("14-project-edit-error"))
	if v, name, value := eval(`document.getElementById("description").value`), eval(`document.getElementById("envName-0").value`), eval(`document.getElementById("envValue-0").value`); v != "made in the browser" || name != "GREETING" || value != "hello from the form" {
		t.Errorf("edit form after an error: description %q, variable %s=%q; want the values kept", v, name, value)
	}
	// The page's script adds a row after the form's empty ones.
	rows := eval(`String(document.querySelectorAll("#vars tr").length)`)
	run("edit project",
		chromedp.SetValue(css(`#artifactsLocation`), "web-artifacts"),
		chromedp.SetValue(css(`#description`), "edited in the browser"),
		chromedp.SetValue(css(`#buildspec`), "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"greeting=$GREETING extra=$EXTRA\"\n      - echo made by codeyard > out.txt\nartifacts:\n  files: [out.txt]\n"),
		chromedp.Click(css(`#add-var`)), chromedp.WaitVisible(id("envName-"+rows)),
		chromedp.SetValue(css(`#envName-`+rows), "EXTRA"), chromedp.SetValue(css(`#envValue-`+rows), "added by script"),
		chromedp.Click(css(`form.card button[type=submit]`)), chromedp.WaitVisible(xp(`//h2[text()="Build history"]`)), shot("15-project-edited"))
	if p := text("main > p"); p != "edited in the browser" {
		t.Errorf("project page after the edit says %q, want the new description", p)
	}

	// Its next build uploads a ZIP file, which the build page offers.
	run("start artifact build",
		chromedp.Click(css(`details.card summary`)), chromedp.WaitVisible(id("sourceVersion")),
		chromedp.Click(css(`form.start button[type=submit]`)), chromedp.WaitVisible(id("log")))
	waitStatus("SUCCEEDED")
	run("artifacts", chromedp.WaitVisible(css(`.files a`)), shot("16-build-artifacts"))
	run("edited variables in the log", logLine("greeting=hello from the form extra=added by script"))
	downloads := t.TempDir()
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	run("download artifact",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true),
			})
			return err
		}),
		chromedp.Click(css(`.files a`)))
	var suggested string
	for ev, err := range begin {
		if err != nil {
			fail("download begins", err)
		}
		suggested = ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			fail("download", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			fail("download", fmt.Errorf("cancelled"))
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		zr, err := zip.OpenReader(filepath.Join(downloads, ev.GUID))
		if err != nil {
			t.Fatalf("downloaded artifact: %v", err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		zr.Close()
		if suggested != "web.zip" || len(names) != 1 || names[0] != "out.txt" {
			t.Errorf("downloaded %q with %v, want web.zip with out.txt", suggested, names)
		}
		break
	}

	// Search the log without script's help, then follow a line's
	// permalink into the whole log, where the line is highlighted.
	run("log search",
		chromedp.SetValue(css(`#q`), "OUT.TXT"), chromedp.Click(css(`form.search button`)),
		chromedp.WaitVisible(id("search-summary")), shot("17-log-search"))
	matched := eval(`Array.from(document.querySelectorAll(".log .l mark")).map(m => m.textContent).join(",")`)
	first := eval(`document.querySelector(".log .l").id`)
	if !strings.HasPrefix(text("#search-summary"), "2 lines of") || matched != "out.txt,out.txt" {
		t.Errorf("log search for OUT.TXT: %q, marked %q; want 2 lines with out.txt marked", text("#search-summary"), matched)
	}
	run("line permalink", chromedp.Click(css(`.log .l .n`)), chromedp.WaitVisible(css(`.log .l:target`)), shot("18-log-line-link"))
	if target, lines := eval(`document.querySelector(".log .l:target").id`), eval(`String(document.querySelectorAll(".log .l").length)`); target != first || lines == "2" {
		t.Errorf("permalink from the search: line %s targeted of %s lines; want %s in the whole log", target, lines, first)
	}

	// A batch build of a git project: its page draws the build graph.
	cbc := srv.codebuild()
	repo, _ := gitRepo(t, map[string]string{"buildspec.yml": webGraphBuildspec, "package.yml": packageBuildspec, "message.txt": "hello from git\n"})
	batchProject(t, cbc, "web-graph", &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithub, Location: aws.String(repo), GitCloneDepth: aws.Int32(1)},
		&cbtypes.ProjectBuildBatchConfig{ServiceRole: aws.String("r"), Restrictions: &cbtypes.BatchRestrictions{MaximumBuildsAllowed: aws.Int32(10)}})
	started, err := cbc.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{ProjectName: aws.String("web-graph")})
	if err != nil {
		t.Fatalf("StartBuildBatch: %v", err)
	}
	if b := waitBatch(t, cbc, aws.ToString(started.BuildBatch.Id), time.Minute); b.BuildBatchStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("batch ended %s", b.BuildBatchStatus)
	}
	run("batch",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/web-graph"), chromedp.Click(css(`table.batches a`)),
		chromedp.WaitVisible(css(`svg.graph`)), shot("19-batch"))
	if nodes := eval(`Array.from(document.querySelectorAll("svg.graph g.node.ok title")).map(t => t.textContent).join(",")`); nodes != "lint: SUCCEEDED,unit: SUCCEEDED,package: SUCCEEDED" {
		t.Errorf("batch graph's nodes: %q, want lint, unit and package succeeded", nodes)
	}
	run("batch task's build", chromedp.Click(css(`svg.graph a`)), chromedp.WaitVisible(xp(`//a[text()="part of a batch build"]`)))

	// Start a batch from its project's page; its builds wait for the
	// hold file, so it is running when it is stopped. Then retry it.
	hold := filepath.Join(t.TempDir(), "hold")
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run("start batch",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/web-graph"), chromedp.Click(xp(`//summary[text()="Start a batch build"]`)),
		chromedp.WaitVisible(id("batchEnv")), chromedp.SetValue(css(`#batchEnv`), "HOLD="+hold),
		chromedp.Click(xp(`//button[text()="Start batch build"]`)), chromedp.WaitVisible(xp(`//button[text()="Stop batch"]`)), shot("20-batch-running"))
	batchPath := eval(`location.pathname`)
	uiBatch, _ := url.PathUnescape(strings.TrimPrefix(batchPath, "/_codeyard/batches/"))
	if st := text("#status"); st != "IN_PROGRESS" || !strings.HasPrefix(uiBatch, "web-graph:") {
		t.Errorf("after starting a batch: %s with status %q, want a web-graph batch IN_PROGRESS", batchPath, st)
	}
	run("stop batch", chromedp.Click(xp(`//button[text()="Stop batch"]`)), chromedp.WaitVisible(xp(`//button[text()="Retry all builds"]`)), shot("21-batch-stopped"))
	if st := text("#status"); st != "STOPPED" {
		t.Errorf("batch after Stop: %q, want STOPPED", st)
	}
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	// The retried batch's page shows no retry: it runs (Stop batch) or
	// has succeeded.
	run("retry batch", chromedp.Click(xp(`//button[text()="Retry all builds"]`)), chromedp.WaitNotPresent(xp(`//button[text()="Retry all builds"]`)), chromedp.WaitVisible(id("status")))
	if b := waitBatch(t, cbc, uiBatch, time.Minute); b.BuildBatchStatus != cbtypes.StatusTypeSucceeded || !strings.Contains(batchPhases(b), ":RETRY") {
		t.Errorf("retried batch ended %s with phases %s, want SUCCEEDED after a RETRY", b.BuildBatchStatus, batchPhases(b))
	}
	run("retried batch", chromedp.Reload(), chromedp.WaitVisible(css(`svg.graph`)), shot("22-batch-retried"))
	if st, nodes := text("#status"), eval(`Array.from(document.querySelectorAll("svg.graph g.node.ok title")).map(t => t.textContent).join(",")`); st != "SUCCEEDED" || nodes != "lint: SUCCEEDED,unit: SUCCEEDED,package: SUCCEEDED" {
		t.Errorf("retried batch's page: %s, nodes %q; want SUCCEEDED with every build succeeded", st, nodes)
	}

	// The git project takes a webhook: its secret is shown once.
	run("webhook",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/web-graph"), chromedp.Click(xp(`//summary[text()="Add a webhook"]`)),
		chromedp.WaitVisible(id("headRef")), chromedp.SetValue(css(`#headRef`), "^refs/heads/main$"),
		chromedp.Click(xp(`//button[text()="Add webhook"]`)), chromedp.WaitVisible(id("webhook-secret")), shot("23-webhook"))
	if url := text("#payload-url"); !strings.HasPrefix(url, srv.endpoint+"/_codeyard/webhooks/") {
		t.Errorf("payload URL %q, want one of this server", url)
	}

	// A phone's width: the pages still read.
	run("phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.endpoint+"/_codeyard/"), chromedp.WaitVisible(id("recent-h")), shot("24-phone-dashboard"))
	if w := eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Errorf("the dashboard is wider than a phone's screen")
	}

	// Dark theme: the viewer's preference picks it, and a log page reads.
	run("dark theme",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}),
		chromedp.Navigate(srv.endpoint+"/_codeyard/"), chromedp.WaitVisible(id("recent-h")), shot("25-dark-dashboard"))
	if bg := eval(`getComputedStyle(document.body).backgroundColor`); !darkColor(bg) {
		t.Errorf("dark theme: the page's background is %s", bg)
	}

	run("sign out", chromedp.Click(xp(`//button[text()="Sign out"]`)), chromedp.WaitVisible(id("name")),
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects"), chromedp.WaitVisible(id("name")))
}

// darkColor reports whether a CSS rgb()/rgba() colour is dark (each
// channel under 80).
func darkColor(css string) bool {
	var r, g, b int
	if _, err := fmt.Sscanf(strings.TrimPrefix(strings.TrimPrefix(css, "rgba("), "rgb("), "%d, %d, %d", &r, &g, &b); err != nil {
		return false
	}
	return r < 80 && g < 80 && b < 80
}
