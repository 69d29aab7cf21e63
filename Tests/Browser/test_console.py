"""Drives the web console in headless Chromium against a running `sluice server` (see
Tools/browser-tests.sh): sign-in, a policy edit with a validation error at its line, a deploy
with a message, the live event view receiving an event, an alert acknowledgement, the other
pages, and a viewer who sees no deploy or acknowledge controls. Saves a screenshot of every
page. Exits non-zero on the first failure.

Environment: SLUICE_URL, SLUICE_ADMIN_PASSWORD, SCREENSHOTS (default artifacts/screenshots),
CHROMEDRIVER (default /usr/bin/chromedriver), CHROMIUM (default /usr/bin/chromium)."""
import base64
import os
import sys
import tempfile
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed import Fleet, event  # noqa: E402

BASE = os.environ.get('SLUICE_URL', 'http://127.0.0.1:8080')
SHOTS = os.environ.get('SCREENSHOTS', 'artifacts/screenshots')


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    for flag in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1280,900', '--hide-scrollbars',
                 '--force-device-scale-factor=1', '--lang=en-US'):
        options.add_argument(flag)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    # The system chromedriver: selenium-manager must not download anything.
    service = Service(executable_path=os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver'))
    return webdriver.Chrome(service=service, options=options)


SETTLED = """return document.readyState === 'complete' && document.fonts.status === 'loaded'
    && !document.querySelector('.loading')
    && document.getAnimations().every((animation) => animation.playState !== 'running');"""


class Console:
    def __init__(self, driver):
        self.driver = driver
        self.wait = WebDriverWait(driver, 15)

    def open(self, hash_):
        self.driver.get(f'{BASE}/#/{hash_}')

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def visible(self, css):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def click(self, css):
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def text_in(self, css, text):
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def heading(self, title):
        return self.text_in('main h1', title)

    def none(self, css):
        return not self.driver.find_elements(By.CSS_SELECTOR, css)

    def settled(self):
        """Waits until what a screenshot shows has settled (fonts loaded, no page still loading,
        no animation running) and has been painted (two animation frames later)."""
        self.wait.until(lambda driver: driver.execute_script(SETTLED))
        self.driver.execute_async_script('const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));')

    def shot(self, name, settle=True):
        if settle:
            self.settled()
        path = os.path.join(SHOTS, f'{name}.png')
        self.driver.save_screenshot(path)
        print(f'  screenshot {path}')

    def sign_in(self, name, password):
        self.driver.delete_all_cookies()
        self.driver.get(f'{BASE}/')
        self.visible('#signin-name').send_keys(name)
        self.driver.find_element(By.ID, 'signin-password').send_keys(password)
        self.driver.find_element(By.ID, 'signin-submit').click()
        self.heading('Overview')

    def sign_out(self):
        self.click('#sign-out')
        self.visible('#signin-name')

    def set_text(self, css, text):
        area = self.find(css)
        self.driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", area, text)


def line_of(text, needle):
    return next(index + 1 for index, line in enumerate(text.split('\n')) if needle in line)


def check_sign_in(console, fleet, password):
    console.driver.get(f'{BASE}/')
    console.visible('#signin-name')
    console.shot('01-sign-in')
    console.driver.find_element(By.ID, 'signin-name').send_keys('admin')
    console.driver.find_element(By.ID, 'signin-password').send_keys('not the password')
    console.driver.find_element(By.ID, 'signin-submit').click()
    console.text_in('.banner.error', 'wrong user name or password')
    console.sign_in('admin', password)
    cookie = console.driver.get_cookie('sluice_session')
    assert cookie and cookie['httpOnly'] and cookie.get('sameSite') == 'Strict', f'session cookie: {cookie}'
    assert console.driver.execute_script('return document.cookie') == '', 'the session cookie must not be readable by scripts'
    # A reload keeps the session (the page asks for its CSRF token again).
    console.driver.refresh()
    console.heading('Overview')
    # A state change with the cookie but without the CSRF token is refused by the server.
    status = console.driver.execute_async_script(
        "const done = arguments[0]; fetch('/api/v1/alerts/1/ack', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})"
        ".then((r) => r.json().then((b) => done([r.status, b.error])));")
    assert status[0] == 403 and 'X-CSRF-Token' in status[1], f'a cookie POST without the CSRF token: {status}'


def check_overview(console, fleet):
    console.open('overview')
    console.heading('Overview')
    console.find('svg.chart rect.allow')
    console.text_in('main', 'web-1')
    console.text_in('main', '/usr/bin/curl')
    # Alerts and the top domains name what the applications looked up.
    console.text_in('main', 'backdoor.example.net (10.66.6.6):4444')
    console.text_in('main', 'Top domains')
    console.text_in('main', 'deb.debian.org')
    console.shot('02-overview')


def check_nodes(console, fleet):
    console.open(f'nodes/{fleet.node_id}')
    console.text_in('.split', 'role=web')
    console.text_in('.split', 'env=prod')
    console.find('button.danger')  # admin: revoke
    console.shot('03-node')
    # An admin edits labels (a PUT with the CSRF token).
    labels = console.visible('#node-labels')
    labels.clear()
    labels.send_keys('env=prod,role=web,zone=eu-1')
    console.wait.until(EC.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Save labels']"))).click()
    console.text_in('.split dl', 'zone=eu-1')


def check_policy_edit_and_deploy(console, fleet):
    console.open('policies/web')
    text = console.find('#policy-text').get_attribute('value')
    assert 'ports: [443]' in text, text
    broken = text.replace('ports: [443]', 'ports: [70000]')
    console.set_text('#policy-text', broken)
    console.click('button[name=validate]')
    marked = console.find('.editor .gutter .line.error')
    expected = line_of(broken, 'ports: [70000]')
    assert marked.get_attribute('data-line') == str(expected), f'error marked at line {marked.get_attribute("data-line")}, expected {expected}'
    console.text_in('#diagnostics', f'line {expected}:')
    console.shot('04-policy-validation-error')

    fixed = text.replace('ports: [443]', 'ports: [443, 8443]')
    console.set_text('#policy-text', fixed)
    console.click('button[name=review]')
    console.text_in('.diff', '+      ports: [443, 8443]')
    # The what-if over the stored decisions, before the operator confirms.
    console.text_in('#replay-preview', 'This change would have denied 0 connections of 0 applications in the last 7 days')
    console.visible('#deploy-message').send_keys('Open 8443 for the canary release')
    console.shot('05-policy-diff-before-deploy')
    console.click('button[name=deploy]')
    console.text_in('#history-status', 'Deployed web v2')
    console.text_in('.split', 'Open 8443 for the canary release')
    console.shot('06-policy-history')

    console.open('policies')
    console.find('#explain-exe').send_keys('/usr/bin/curl')
    console.driver.find_element(By.ID, 'explain-destination').send_keys('10.1.2.3')
    port = console.driver.find_element(By.ID, 'explain-port')
    port.clear()
    port.send_keys('8443')
    console.click('#explain-submit')
    console.text_in('.explain-result', 'ALLOW')
    console.text_in('.explain-result', 'policy web')
    console.text_in('.explain-result', "server's policies only")
    console.shot('07-policy-explain')


def check_live_events(console, fleet):
    console.open('events')
    console.text_in('.live-state', 'live')
    # The stream subscribes when its request reaches the server, which the page cannot see: the
    # probe event is sent again until the stream shows it (each copy is a new upload).
    # The looked-up name shows under the address, as text: a name from DNS is never markup.
    def probe_arrived(driver):
        fleet.upload([event('web-1', '/usr/bin/live-probe', 'live-probe', '10.3.3.3', 8443, 'deny', None, 0, domain='<b>probe</b>.example.com')])
        try:
            WebDriverWait(driver, 1).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#live-events'), 'live-probe'))
            return True
        except TimeoutException:
            return False
    console.wait.until(probe_arrived)
    row = console.text_in('#live-events', 'live-probe')
    assert 'deny' in row.text, row.text
    assert '<b>probe</b>.example.com' in row.text, row.text
    assert not row.find_elements(By.CSS_SELECTOR, 'b'), 'a name was read as markup'
    fleet.upload([event('web-1', exe, comm, dst, port, verdict, policy, 0) for exe, comm, dst, port, verdict, policy in [
        ('/usr/bin/curl', 'curl', '10.1.2.3', 443, 'allow', 'web'), ('/usr/lib/postgresql/15/bin/postgres', 'postgres', '10.4.0.12', 5432, 'allow', None),
        ('/usr/bin/nc', 'nc', '10.66.6.6', 4444, 'deny', 'lockdown'), ('/usr/sbin/chronyd', 'chronyd', '10.0.0.123', 123, 'allow', None),
        ('/usr/bin/curl', 'curl', '10.1.2.4', 443, 'allow', 'web'), ('/usr/bin/python3', 'python3', '10.200.1.9', 8080, 'alert', None)]])
    console.wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, '#live-events tr.event-row')) >= 7)
    console.shot('08-live-events')
    console.click('#pause-live')
    console.text_in('.live-state', 'paused')
    fleet.upload([event('web-1', '/usr/bin/while-paused', 'while-paused', '10.3.3.4', 443, 'allow', None, 0)])
    console.text_in('.live-state', '1 new')
    assert 'while-paused' not in console.find('#live-events').text
    console.click('#pause-live')
    console.text_in('#live-events', 'while-paused')

    console.click('#tab-search')
    console.text_in('main', 'event(s), the latest to reach the server first')
    console.shot('09-event-search')


def check_alert_ack(console, fleet):
    console.open('alerts')
    # More than a page: the total, then the next page on request; acknowledging several at once.
    console.text_in('#alert-total', 'match')
    first = len(console.driver.find_elements(By.CSS_SELECTOR, '.split table tbody tr'))
    console.click('button[name=load-more]')
    console.wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, '.split table tbody tr')) > first)
    console.shot('10-alerts-paged')
    exe = console.visible('#alert-exe')
    exe.send_keys('/usr/bin/nmap')
    exe.send_keys(Keys.TAB)
    console.text_in('#alert-total', '70 alerts match')
    for box in console.driver.find_elements(By.CSS_SELECTOR, 'input[name=pick]')[:3]:
        box.click()
    console.click('button[name=acknowledge-selected]')
    console.text_in('.split', '3 acknowledged')
    exe.clear()
    exe.send_keys(Keys.TAB)
    # The deny in the policy with alertOnDeny raised this one.
    console.wait.until(EC.element_to_be_clickable((By.XPATH, "//a[contains(., 'Policy deny')]"))).click()
    console.text_in('.split', 'backdoor.example.net (10.66.6.6):4444')
    console.visible('#ack-note').send_keys('netcat blocked as intended')
    console.shot('10-alert-details')
    console.click('button[name=acknowledge]')
    console.text_in('.split', 'Acknowledged by admin')
    assert console.none('button[name=acknowledge]')
    console.shot('11-alert-acknowledged')


def check_application_page(console, fleet):
    console.open('apps')
    console.heading('Applications')
    console.wait.until(EC.element_to_be_clickable((By.XPATH, "//a[contains(@href, '#/apps/') and contains(., 'python3')]"))).click()
    console.heading('python3')
    console.text_in('main', 'Decisions over time')
    console.text_in('main', '10.200.1.9:8080')
    # Its learned rule and its anomaly alert, from the other pages' data.
    console.text_in('main', 'lr-0a1b2c3d')
    console.find("main a[href^='#/alerts/']")
    console.shot('12-application')
    # An application with flow records has its bytes drawn over time, and its totals from them.
    console.open('apps/%2Fusr%2Fbin%2Frestic')
    console.heading('restic')
    console.text_in('main', 'Traffic over time')
    console.find("svg.chart[aria-label^='Bytes sent and received'] path.line-alert")
    console.text_in('main', 'sent ·')


def check_feeds(console, fleet):
    console.open('feeds')
    console.heading('Threat feeds')
    console.text_in('main', 'No feeds')
    console.shot('15-feeds')
    # A list on the server's disk naming the block curl reached: previewed, not added.
    path = os.path.join(tempfile.mkdtemp(prefix='sluice-feed-'), 'list.txt')
    with open(path, 'w') as handle:
        handle.write('10.20.0.0/16\n')
    console.set_text('input[name=feed-name]', 'preview-list')
    console.set_text('input[name=feed-url]', path)
    console.click('button[name=preview-feed]')
    console.text_in('#replay-preview', 'This feed would have denied')
    console.text_in('#replay-preview', 'feed preview-list indicator 10.20.0.0/16')
    console.find('button[name=add-feed]')
    console.shot('15-feed-preview')
    console.text_in('main', 'No feeds')
    # Added, the feed in force is replayed from its page: with its layer and without it.
    console.click('button[name=add-feed]')
    console.text_in('main', 'Added feed preview-list')
    console.click('button[name=show]')
    console.click('button[name=feed-impact]')
    console.text_in('#replay-preview', 'Removing feed preview-list would have denied')
    console.shot('15-feed-impact')


def check_rules_and_reports(console, fleet):
    console.open('rules')
    console.text_in('table', 'lr-0a1b2c3d')
    console.text_in('table', 'connection rate 12x baseline')
    console.shot('12-learned-rules')
    console.driver.find_elements(By.CSS_SELECTOR, 'button[name=approve]')[0].click()
    # What approving would have done to the node's last 7 days shows before the confirmation.
    console.text_in('#replay-preview', 'Approving it would have denied')
    console.shot('12-learned-rule-preview')
    console.click('button[name=confirm-approve]')
    console.text_in('main', 'Approved rule')

    console.open('reports')
    console.heading('Reports')
    console.find('svg.chart path.line-allow')
    console.find('svg.chart rect.bar')
    Select(console.find('#report-range')).select_by_value('7d')
    console.text_in('.report-head', 'last 7 days')
    console.find('svg.chart rect.bar')
    console.text_in('main', 'Top talkers by bytes')
    console.text_in('main', '4.7 GiB')  # restic's 20 uploads of 250 MB
    console.shot('13-reports')
    # The printable summary: print media hides the console around the report.
    console.driver.execute_cdp_cmd('Emulation.setEmulatedMedia', {'media': 'print'})
    assert not console.driver.find_element(By.CSS_SELECTOR, '.sidebar').is_displayed(), 'the sidebar must not print'
    assert not console.driver.find_element(By.ID, 'print-report').is_displayed()
    console.shot('13-reports-print')
    console.driver.execute_cdp_cmd('Emulation.setEmulatedMedia', {'media': ''})
    with open(os.path.join(SHOTS, '13-reports-print.pdf'), 'wb') as pdf:
        pdf.write(base64.b64decode(console.driver.print_page()))

    console.driver.set_window_size(390, 844)
    console.open('overview')
    console.find('svg.chart')
    console.shot('14-overview-narrow')
    console.open('policies/web')
    console.find('#policy-text')
    console.shot('14-policies-narrow')
    console.open('alerts')
    console.find('#alert-state')
    console.shot('14-alerts-narrow')
    console.driver.set_window_size(1280, 900)


def check_viewer(console, fleet):
    console.sign_out()
    console.sign_in('vera', fleet.viewer_password)
    console.text_in('.who', 'viewer')
    console.open('policies/web')
    console.find('#policy-text')
    console.find('button[name=validate]')
    assert console.none('button[name=review]'), 'a viewer must not see the deploy button'
    assert console.none('#new-policy')
    assert console.none('button[name=deploy]')
    console.shot('15-viewer-policy')
    console.open('alerts')
    console.find('#alert-state')
    console.open(f'nodes/{fleet.node_id}')
    console.text_in('.split', 'role=web')
    assert console.none('button.danger'), 'a viewer must not see revoke'
    console.open('rules')
    console.text_in('table', 'lr-4e5f6a7b')
    assert console.none('button[name=approve]') and console.none('button[name=revoke]')


def browser_errors(driver):
    problems = []
    for entry in driver.get_log('browser'):
        message = entry.get('message', '')
        # A console page asks /api/v1/session first; 401 there just means "not signed in yet".
        if 'api/v1/session' in message and '401' in message:
            continue
        if 'api/v1/login' in message and '401' in message:
            continue
        # The CSRF check in check_sign_in is refused on purpose.
        if 'api/v1/alerts/1/ack' in message and '403' in message:
            continue
        if entry.get('level') == 'SEVERE' or 'Content Security Policy' in message:
            problems.append(message)
    return problems


def main():
    os.makedirs(SHOTS, exist_ok=True)
    password = os.environ['SLUICE_ADMIN_PASSWORD']
    fleet = Fleet(BASE, password).seed()
    driver = browser()
    console = Console(driver)
    steps = [check_sign_in, check_overview, check_nodes, check_policy_edit_and_deploy, check_live_events, check_alert_ack, check_application_page,
             check_rules_and_reports, check_feeds, check_viewer]
    failed = False
    try:
        for step in steps:
            print(f'- {step.__name__}')
            try:
                if step is check_sign_in:
                    step(console, fleet, password)
                else:
                    step(console, fleet)
            except Exception:
                failed = True
                traceback.print_exc()
                # As the page is at the failure, settled or not.
                console.shot(f'failed-{step.__name__}', settle=False)
                break
            problems = browser_errors(driver)
            if problems:
                failed = True
                print('browser console errors:\n  ' + '\n  '.join(problems))
                break
    finally:
        driver.quit()
    print('FAILED' if failed else f'ok: {len(steps)} browser checks passed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
