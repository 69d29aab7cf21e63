"""Seeds a running `sluice server` through its public API and the agent protocol: users, policies,
an enrolled node with a heartbeat, events (a deny in an alerting policy raises an alert) and a
learned-rule snapshot. Only the standard library."""
import json
import random
import time
import urllib.error
import urllib.request


class API:
    def __init__(self, base):
        self.base = base.rstrip('/')

    def call(self, method, path, body=None, token=None, raw=None, content_type='application/json'):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header('Content-Type', content_type)
        if token:
            request.add_header('Authorization', f'Bearer {token}')
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return json.loads(text) if text.strip().startswith(('{', '[')) else text
        except urllib.error.HTTPError as error:
            raise AssertionError(f'{method} {path}: HTTP {error.code}: {error.read().decode()}') from None


def policy(name, exe, action, ports, extra=''):
    return (f"apiVersion: sluice/v1\nkind: Policy\nmetadata:\n  name: {name}\nspec:\n  subjects:\n    - executable: {exe}\n"
            f"{extra}  egress:\n    - name: out\n      action: {action}\n      to: [\"10.0.0.0/8\"]\n      ports: [{ports}]\n")


def event(node, exe, comm, dst, port, verdict, policy_name, seconds_ago, anomaly=False, domain=None, flow=None):
    nanos = int((time.time() - seconds_ago) * 1e9)
    stamp = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(nanos / 1e9)) + f'.{(nanos // 1000) % 1000000:06d}Z'
    line = {
        'time': stamp, 'node': node, 'pid': 4242, 'uid': 1000, 'comm': comm, 'exe': exe, 'exe_id': '254:1:77', 'cgroup': '/system.slice/app.service',
        'cgroup_id': 88, 'protocol': 'tcp', 'family': 'ipv4', 'dst_ip': dst, 'dst_port': port, 'verdict': verdict, 'enforced': True,
        'policy': policy_name, 'rule': 'out' if policy_name else 'default', 'hook': 'connect4', 'generation': 1, 'mapped': False,
    }
    if domain is not None:
        line['dst_domain'] = domain
    if flow is not None:
        flow_id, sent, received = flow
        line.update({'hook': 'flow', 'kind': 'flow', 'flow_id': flow_id, 'bytes_sent': sent, 'bytes_received': received,
                     'packets_sent': sent // 1400 + 1, 'packets_received': received // 1400 + 1, 'duration_ms': 2000, 'final': True})
    if anomaly:
        line.update({'score': 41.5, 'anomaly': True, 'reasons': ['new destination', 'rate']})
    return json.dumps(line)


class Fleet:
    """What the seed made, for the test's assertions."""

    def __init__(self, base, admin_password):
        self.api = API(base)
        self.admin = self.api.call('POST', '/api/v1/login', {'name': 'admin', 'password': admin_password})['token']
        self.viewer_password = 'viewer-password-1'
        self.sequence = 0

    def seed(self):
        api, token = self.api, self.admin
        api.call('POST', '/api/v1/users', {'name': 'vera', 'password': self.viewer_password, 'role': 'viewer'}, token)
        self.web_policy = policy('web', '/usr/bin/curl', 'allow', 443)
        api.call('POST', '/api/v1/policies', {'documents': [self.web_policy], 'message': 'curl may reach the internal network'}, token)
        api.call('POST', '/api/v1/policies', {'documents': [policy('lockdown', '/usr/bin/nc', 'deny', 4444, extra='  alertOnDeny: true\n')],
                                              'message': 'netcat must not reach the backdoor port'}, token)
        join = api.call('POST', '/api/v1/join-tokens', {'name': 'browser-test', 'labels': {'env': 'prod'}, 'claimable_labels': ['role']}, token)['token']
        enrolled = api.call('POST', '/api/v1/agent/enroll', {'join_token': join, 'node_name': 'web-1', 'labels': {'role': 'web'},
                                                              'kernel': '6.1.0-28-amd64', 'agent_version': '0.1.0'})
        self.node_id, self.credential = enrolled['node_id'], enrolled['credential']
        rollout = api.call('GET', '/api/v1/rollout', token=token)
        self.heartbeat(rollout['revision'])
        lines = []
        apps = [('/usr/bin/curl', 'curl', '10.1.2.3', 443, 'allow', 'web'), ('/usr/lib/postgresql/15/bin/postgres', 'postgres', '10.4.0.12', 5432, 'allow', None),
                ('/usr/bin/apt', 'apt', '10.9.8.7', 80, 'allow', None), ('/usr/sbin/chronyd', 'chronyd', '10.0.0.123', 123, 'allow', None)]
        rng = random.Random(7)
        # The names the applications looked their destinations up by, as the kernel records them.
        names = {'/usr/bin/apt': 'deb.debian.org', '/usr/bin/curl': 'api.internal.example'}
        for minute in range(0, 55):
            for index, (exe, comm, dst, port, verdict, name) in enumerate(apps):
                for _ in range(rng.randint(0, 3) + 2 * (index < 2)):
                    lines.append(event('web-1', exe, comm, dst, port, verdict, name, minute * 60 + index * 7, domain=names.get(exe)))
            if minute % 9 == 0:
                lines.append(event('web-1', '/usr/bin/nc', 'nc', '10.66.6.6', 4444, 'deny', 'lockdown', minute * 60 + 5, domain='backdoor.example.net'))
        lines.append(event('web-1', '/usr/bin/python3', 'python3', '10.200.1.9', 8080, 'alert', None, 90, anomaly=True))
        # A sweep by an alerting rule: more alerts than one page holds.
        for index in range(70):
            lines.append(event('web-1', '/usr/bin/nmap', 'nmap', f'10.77.{index // 10}.{index % 10 + 1}', 22, 'alert', 'web', 1200 + index * 10))
        # Flow records: restic uploads far more than anything else.
        for index in range(20):
            lines.append(event('web-1', '/usr/bin/restic', 'restic', '10.9.9.9', 443, 'allow', 'web', 600 + index * 30, flow=(100 + index, 250_000_000, 40_000)))
            lines.append(event('web-1', '/usr/bin/curl', 'curl', '10.1.2.3', 443, 'allow', 'web', 600 + index * 30, flow=(200 + index, 2_000, 90_000)))
        self.upload(lines)
        # The six days before: decisions every hour (busier by day), and destinations new each day.
        lines = []
        for hour in range(1, 6 * 24):
            day = hour // 24
            busy = 3 if 8 <= (time.gmtime(time.time() - hour * 3600).tm_hour) <= 18 else 1
            for index, (exe, comm, dst, port, verdict, name) in enumerate(apps):
                for _ in range(rng.randint(2, 5) * busy):
                    lines.append(event('web-1', exe, comm, dst, port, verdict, name, hour * 3600 + index * 60))
            lines.append(event('web-1', '/usr/bin/curl', 'curl', f'10.{20 + day}.{hour % 7}.{hour % 5 + 1}', 443, 'allow', 'web', hour * 3600 + 30))
            if hour % 10 == 0:
                lines.append(event('web-1', '/usr/bin/nc', 'nc', '10.66.6.6', 4444, 'deny', 'lockdown', hour * 3600 + 40))
            if len(lines) > 4000:
                self.upload(lines)
                lines = []
        self.upload(lines)
        now = int(time.time() * 1e9)
        rules = [
            {'id': 'lr-0a1b2c3d', 'executable': '/usr/bin/python3', 'destination': '10.200.1.9/32', 'port': 8080, 'transport': 'tcp', 'action': 'deny',
             'reasons': ['new destination for python3', 'connection rate 12x baseline'], 'score': 41.5, 'threshold': 25.0, 'created': now - 600 * 10**9,
             'expires': now + 3000 * 10**9, 'state': 'proposed', 'evidence': 14, 'hits': 0},
            {'id': 'lr-4e5f6a7b', 'executable': '/usr/bin/apt', 'destination': '10.9.8.7/32', 'port': 80, 'transport': 'tcp', 'action': 'deny',
             'reasons': ['unusual hour'], 'score': 30.2, 'threshold': 25.0, 'created': now - 1800 * 10**9, 'expires': now + 1800 * 10**9,
             'state': 'installed', 'evidence': 5, 'hits': 37, 'last_hit': now - 120 * 10**9},
        ]
        self.api.call('POST', '/api/v1/agent/rules', rules, self.credential)
        return self

    def heartbeat(self, revision):
        self.api.call('POST', '/api/v1/agent/heartbeat', {
            'applied_revision': revision, 'policy_generation': 2, 'rules_loaded': 14,
            'decisions': {'allow': 1820, 'alert': 3, 'deny': 7, 'monitor_deny': 0}, 'events_lost': {'kernel': 0, 'agent': 0, 'upload': 0},
            'events_buffered': 0, 'agent_version': '0.1.0'}, self.credential)

    def upload(self, lines):
        body = ('\n'.join(lines) + '\n').encode()
        result = self.api.call('POST', f'/api/v1/agent/events?sequence={self.sequence}', raw=body, token=self.credential, content_type='application/x-ndjson')
        self.sequence += 1
        return result
