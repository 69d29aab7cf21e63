import Foundation

/// The real-traffic section of docs/detection.md, written between its markers.
enum RealReport {
    static let begin = "<!-- real-traffic: written by `sluice-eval real --write docs/detection.md` -->"
    static let end = "<!-- real-traffic: end -->"

    static func format(_ value: Double, _ digits: Int = 3) -> String {
        value.isNaN ? "—" : String(format: "%.\(digits)f", value)
    }

    static func markdown(_ evaluation: RealEvaluation) -> String {
        var text = "## Real traffic: the Stratosphere captures\n\n"
        text += """
            Labelled flow logs of real hosts (`../shared/datasets/stratosphere-linux-ips`, see its README),
            read into the agent's event schema by `sluice-eval real` and scored by every detector in one run.
            Each capture is scored by fresh detectors from its first connection, as on a node's first day;
            nothing is learned before it. Settings are the agent's defaults; the one chosen after looking
            at these labels (the cold-start bar) is named in the reading below, with what was tried.

            ```sh
            swift build -c release --product sluice-eval
            .build/release/sluice-eval real                              # tables on standard output
            .build/release/sluice-eval real --write docs/detection.md    # this section
            ```

            **Events.** Zeek `conn.log` (tab-separated with its `#fields` header, or JSON lines) and Argus
            binetflow (CSV, or the same columns tab-separated) become decision events: the host that opened
            the connection (`id.orig_h`, `SrcAddr`) is the application, keyed as the synthetic executable
            `/usr/libexec/sluice-eval/capture-host` in the cgroup `/capture/<address>`; the destination is
            `id.resp_h`:`id.resp_p` (`DstAddr`:`Dport`) over `proto`. `dst_domain` comes from the capture's
            `dns.log`: the question whose answer held the destination address, asked by the same source host,
            the latest before the connection (what the agent's DNS reader records per cgroup). Binetflow times
            are read as UTC; rows of protocols that are not IP (ARP, LLC, Argus's own records) are skipped.
            Malformed input stops the run with `file:line:field` and what is wrong.

            **Labels.** Where the log has labels (Zeek `label`/`detailedlabel`, binetflow `Label`), a label
            naming `Malicious`, `Botnet`, `Malware` or `Attack` is an attack of that type (the detailed label
            where there is one) and any other is normal. Where it has none, every connection the capture's
            documented attacking or infected host opened is that attack, every other one normal (the hosts
            and why, below). An *incident* is one source host's one attack type. A capture with only attack
            events has no per-capture ROC-AUC (—); its attacks still count against the other captures' normal
            events in the pooled rows.


            """
        text += "| capture | events | attack events | incidents | with dst_domain | rows skipped (not IP) | labels from |\n|---|---|---|---|---|---|---|\n"
        for capture in evaluation.captures {
            text += "| \(capture.spec.name) | \(capture.events.count) | \(capture.attackEvents) | \(capture.incidentCount) | \(capture.named) | \(capture.skipped) | \(capture.spec.source) |\n"
        }
        let names = evaluation.detectors.map(\.name)
        text += "\nROC-AUC / average precision per capture (its attack events against its normal events):\n\n"
        text += "| capture | " + names.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: names.count) + "\n"
        for index in evaluation.captures.indices {
            text += "| \(evaluation.captures[index].spec.name) |"
            for detector in evaluation.detectors {
                let ranking = evaluation.ranking(detector, captures: [index]) { _ in true }
                text += " \(format(ranking.rocAUC)) / \(format(ranking.averagePrecision)) |"
            }
            text += "\n"
        }
        let all = Array(evaluation.captures.indices)
        text += "\nPooled over all captures, and per attack type (that type's events in every capture against every capture's normal events):\n\n"
        text += "| attack events of | events | " + names.joined(separator: " | ") + " |\n|---|---|" + String(repeating: "---|", count: names.count) + "\n"
        for (label, include) in [("all captures", { (_: String) in true })] + evaluation.attackTypes.map({ type in (type, { $0 == type }) }) {
            let count = evaluation.ranking(evaluation.detectors[0], captures: all, attack: include).attackEvents
            text += "| \(label) | \(count) |"
            for detector in evaluation.detectors {
                let ranking = evaluation.ranking(detector, captures: all, attack: include)
                text += " \(format(ranking.rocAUC)) / \(format(ranking.averagePrecision)) |"
            }
            text += "\n"
        }
        text += "\nSluice's own alerts at the agent's default threshold (per-application adaptive threshold; in the warm-up, the cold-start bar):\n\n"
        text += "| capture | incidents alerted | attack events alerted | false alerts | application-days | false alerts per application-day |\n|---|---|---|---|---|---|\n"
        var total = RealEvaluation.OperatingPoint(
            incidents: 0, incidentsAlerted: 0, attackEvents: 0, attackAlerts: 0, normalEvents: 0, falseAlerts: 0, applicationDays: 0)
        for (capture, point) in zip(evaluation.captures, evaluation.operatingPoints) {
            text += "| \(capture.spec.name) | \(point.incidentsAlerted)/\(point.incidents) | \(point.attackAlerts)/\(point.attackEvents) | \(point.falseAlerts)/\(point.normalEvents) | \(point.applicationDays) | \(format(point.falseAlertsPerApplicationDay, 2)) |\n"
            total.incidents += point.incidents
            total.incidentsAlerted += point.incidentsAlerted
            total.attackEvents += point.attackEvents
            total.attackAlerts += point.attackAlerts
            total.normalEvents += point.normalEvents
            total.falseAlerts += point.falseAlerts
            total.applicationDays += point.applicationDays
        }
        text += "| all | \(total.incidentsAlerted)/\(total.incidents) | \(total.attackAlerts)/\(total.attackEvents) | \(total.falseAlerts)/\(total.normalEvents) | \(total.applicationDays) | \(format(total.falseAlertsPerApplicationDay, 2)) |\n"
        text += "\nThe detectors: " + evaluation.detectors.map { "**\($0.name)**: \($0.summary)" }.joined(separator: "; ") + ".\n"
        text += reading(evaluation, total: total)
        return text
    }

    /// The section between the markers in `document`, without them; nil when it has none.
    static func section(in document: String) -> String? {
        guard let start = document.range(of: begin + "\n"), let stop = document.range(of: end, range: start.upperBound..<document.endIndex)
        else { return nil }
        return String(document[start.upperBound..<stop.lowerBound])
    }

    /// What the tables say, with the run's own figures.
    static func reading(_ evaluation: RealEvaluation, total: RealEvaluation.OperatingPoint) -> String {
        let all = Array(evaluation.captures.indices)
        func pooled(_ name: String) -> String {
            guard let detector = evaluation.detectors.first(where: { $0.name == name }) else { return "—" }
            return format(evaluation.ranking(detector, captures: all) { _ in true }.rocAUC)
        }
        let named = evaluation.captures.reduce(0) { $0 + $1.named }
        let events = evaluation.captures.reduce(0) { $0 + $1.events.count }
        let met = 2 * total.incidentsAlerted > total.incidents && total.falseAlerts <= total.applicationDays
        return """

            **What these captures say.** Pooled ROC-AUC \(pooled("Sluice")) for Sluice against MIDAS-R's
            \(pooled("MIDAS-R")) and the first-contact count's \(pooled("first contact")); at its default threshold it
            alerts on \(total.incidentsAlerted) of \(total.incidents) incidents with \(total.falseAlerts) false alerts in
            \(total.applicationDays) application-days. The issue's bar, most incidents at about one false alert per
            application-day, is \(met ? "met" : "not met"). History, by the same command: the detector before issue 12's
            changes (commit 25dab95) pooled 0.256 / 0.952 and alerted on 1 of 16 incidents, 0 false alerts;
            with the first round of changes (names, cold start over 24 bits, capped thresholds) 0.219 / 0.949,
            2 of 16, 0 false alerts. The second round, from `sluice-eval real --explain 10`:
            - *Storms.* Most attack events are the infected host's own repetitive traffic from its first
              second. The rate features judge one 10 s window at a time against the history, and a new
              program has none, so each busy window scored a few bits and never summed. The storm feature
              sums the finished windows' excess surprisal over an allowance of 4 bits, at most 24 bits a
              window (a CUSUM; half the sum is its surprisal under the stated null, see Detectors), so a
              flood or a scan that lasts window after window keeps rising, in 10 bytes per application.
            - *The cold-start bar.* Every capture is shorter than the warm-up's hour, so every alert here is
              a cold-start alert, and the bar was the floor plus 8 bits (24) while scores that rest on a new
              node's priors (a bit per doubling of a rate) are lower, not higher, than a warm
              application's. An application that starts with the node is now held to the floor (16 bits);
              one that arrives on a warm node keeps the 8-bit margin, which offsets the up to 16 bits the
              new-application feature adds to its first day's scores (held to the floor, the synthetic
              workload's new programs, scp, wget and zoom among them, added 34 false alerts on seed 1).
              Held to the floor, a young application's alerts no longer teach its outcome counts at the
              anomalous weight: everything new to it would be an alert, and it would hardly learn its own
              habits (its busy windows are still held back and tainted).
              **This setting was chosen after looking at these captures' scores against their labels**
              (with a first version of the storm feature, 3 incidents alerted at 24 bits; 4 at 16 bits
              now); the storm feature was found from `--explain` on the
              same captures. The synthetic check (above) is the other half of the judgement of this bar.
            - *Tried and dropped.* Judging a young application's rates against the lowest level until the
              node has 32 windows of its own (on a new node the node's 99th percentile of a few windows is
              the first storm's own level) raised the storms here further (5 incidents at 16 bits) but
              made the busy daemons of the synthetic node's first day storms (consul's gossip): 279
              false alerts there in 150 application-days, 69 of them consul's on that day.

            The third round (the storm round alerted on 4 of 16 incidents, 3 false alerts in 82
            application-days, pooled 0.221 against MIDAS-R's 0.793):
            - *The first-contact run.* Every capture is shorter than an hour, so no hourly novelty
              window ever finished and the novel-destination and novel-service rates scored nothing: a
              new host's scan or sweep was judged only by its 10 s windows, against no history. In the
              warm-up those rates are now at least the run of first contacts against a Chinese
              restaurant process (see Detectors: α = 8 destinations, registrable domains where named,
              α = 1 ports, alternative 3/4 new). **Its three constants were set from that reasoning
              before these captures were scored with them, and were not changed after.** Tried after
              seeing these results and not adopted: α = 2 or 4 for ports (9 of 16 incidents, 12 and 10
              false alerts; test18's false alerts are its host's boot services, which several features
              raise together, not the port run alone) and α = 16 or 32 for unnamed addresses (9 and 8
              of 16, 13 and 11 false alerts). The cost, on the synthetic workload, which has no names:
              an upload job to dozens of object-storage addresses and a browser's first page loads,
              unnamed, are a run of first contacts too (seed 1: 347 false alerts instead of 143 in 150
              application-days, ROC-AUC 0.9997 instead of 0.9998); the agent sees those names. The bar is
              met over all captures, not on each: test18 has 7 false alerts in 3 application-days (6 more
              than before), its Windows host's boot (LLMNR, NetBIOS, DHCP, SSDP, QUIC: nine new ports in
              its first dozen connections). And where the labels come from the host, an alert on the
              infected host's own ordinary first contacts counts for its incident (test2's alerts include
              SSDP and Google's push service, in the same first minutes as the rest).
            - *Unchanged:* the threshold (weakness 4) already learns only from scores at most 4 bits
              over it and is capped 16 bits over the floor; command and control from the first events
              (weakness 3) is the warm-up's suspect rhythm, which RemcosRAT's sub-second reconnections
              do not reach.

            The fourth round (the third alerted on 10 of 16 incidents, 13 false alerts in 82
            application-days, pooled 0.232):
            - *An internet address counts by its network in the first-contact run.* Without a name, the
              run took every new address for a new destination, so the synthetic node's first upload job
              (dozens of addresses of one storage service in four /24 networks) and its browsers' first
              page loads (a site's several servers in one /24) were runs of first contacts: 347 false
              alerts on seed 1 where the storm round had 143. A provider hands out a service's
              addresses from one network, so the run now counts an unnamed internet address as new
              only when its /24 (IPv4) or /64 (IPv6) network is new to the application; an internal
              address is one machine and still counts alone. **Chosen from the synthetic workload's false
              alerts (`sluice-eval evaluate --census`) and that reasoning, then scored on these
              captures once, not tuned on them.** Synthetic seed 1: 144 false alerts, 30 of 34 incidents as
              before. Here it cost some of the alerted attack events (test3's scanners of one public
              /20 and test2's host lose the run's bits on addresses in networks they had met) and no
              incident.
            - *Group messages are no first contacts.* A message to a multicast group or the broadcast
              address (224.0.0.0/4, ff00::/8, 255.255.255.255) counts in neither channel of the run: it
              goes to no peer the program chose, on the protocol's own port. **Found from
              `real --explain` on test18**, whose Windows host's boot (LLMNR, SSDP, mDNS) made three of
              its seven false alerts; it removed one (the others' runs are carried by unicast boot
              traffic too: NetBIOS to the subnet's broadcast, which the detector cannot tell from a host
              without the netmask, and DHCP to the router). No change on the synthetic workload, whose
              node sends to no group.

            The fifth round (the fourth alerted on 10 of 16 incidents, 11 false alerts in 82
            application-days, pooled 0.228):
            - *An alert carries into the application's later events (recent-alert).* `real --explain`
              showed why the pooled ranking was below chance: the infected hosts' routine traffic
              (test2's host asking 8.8.8.8 every few minutes for hours) scored 0 once it was their habit,
              while other hosts' first contacts scored a few bits. An application's latest alert now lifts
              its later events' scores to that alert's level, halved every hour, and at most half its
              threshold, so that the lift never raises an alert and the alert's own evidence still ranks
              higher. The threshold learns only the events' own scores. **The idea came from these
              captures' explanations; the one-hour half-life was set from reasoning (an incident's traffic
              goes on for minutes to hours) before it was scored; the cap was chosen after scoring a first
              version**, which lifted to half a bit under the threshold: pooled 0.588 here, but on the
              synthetic workload the normal events after its 144 false alerts rose above the attacks'
              lower scores (seed 1: ROC-AUC 0.9960, AP 0.966, recall at 0.1% FPR 0.928, against 0.9998,
              0.995, 0.977 before). Capped at half the threshold: pooled 0.553 here; seed 1 0.9979,
              0.984, 0.974 (and per type, exfiltration 0.975 against 0.994 on seed 1: see the synthetic
              section's reading). No alert changes, here or there. RemcosRAT's ranking rises (0.014 to 0.49 in test18) only because its host
              raised false alerts at boot: a lift by an unrelated alert, which the labels cannot tell
              from a related one.
            - *The link's housekeeping is no run either.* A UDP message on DHCP's, NetBIOS's, SSDP's,
              WS-Discovery's, mDNS's or LLMNR's port to an address of the node's networks (the router,
              the subnet's broadcast, a neighbour) now counts in neither channel of the first-contact
              run, as a group message already did: a system starts these together at boot, each on
              its protocol's own port, and a scan of those ports on internet hosts still counts.
              **Found from `real --explain` on test18** (two of its six false alerts: NetBIOS to
              192.168.1.255 and DHCP to the router); it removed those two and three of the 336 attack
              events alerted, no incident, and changed nothing on the synthetic workload. What is left
              of test18's false alerts is QUIC's first use of 443/udp, SSDP's fan-out and an ICMP
              unreachable, each 1–3 bits over the bar.

            What still does not alert: RemcosRAT's reconnections (one address about every 0.5–1 s, some
            fourteen connections per window: an ordinary window for a PC, and a rhythm faster than the
            rhythm table's two-second minimum period); the smallest captures (test14, test15: two to five
            connections, the first contacts of a node with no history, which score like any host's first
            contacts); two of test10's three injected sweeps (about eight connections each, too short a
            run to outrun the null) and one of test3's two scanners. The pooled ranking is still below
            MIDAS-R's: most attack events are the infected hosts' ordinary repeated traffic, and where it
            goes on for hours after their last alert (test2) it scores 0 again once the alert has faded,
            while the other hosts' first contacts score a few bits. Names
            reach only \(named) of \(events) events (test9 and test10 have a `dns.log` with answers), so the
            registrable-domain change has little to act on here. Most normal events are other hosts' flows
            (the router, broadcasts, connections from the internet into the infected host), each a brand-new
            application with one to three events.

            The captures are small (most are one malicious host with no normal traffic of its own) and their
            labels are coarse where derived (every flow of the infected host is the attack). They are a
            development set; the held-out captures of the issue remain the judge.

            """
    }

    /// `document` with the section between the markers replaced, or added before `## Cost`.
    static func replacingSection(in document: String, with section: String) -> String {
        let block = begin + "\n" + section + end + "\n"
        if let start = document.range(of: begin), let stop = document.range(of: end, range: start.upperBound..<document.endIndex) {
            var after = stop.upperBound
            if after < document.endIndex && document[after] == "\n" { after = document.index(after: after) }
            return document.replacingCharacters(in: start.lowerBound..<after, with: block)
        }
        if let cost = document.range(of: "\n## Cost") {
            return document.replacingCharacters(in: cost.lowerBound..<cost.lowerBound, with: "\n" + block)
        }
        return document + "\n" + block
    }
}
