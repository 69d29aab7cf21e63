extension OpenAPIDocument {
    static let components = componentBasics + wireSchemas + adminSchemas + consoleSchemas

    static let componentBasics = #"""
        components:
          securitySchemes:
            apiToken:
              type: http
              scheme: bearer
              description: A user's API token (`slu_…`) from login or POST /api/v1/tokens. The route's role is in `x-sluice-role`.
            sessionCookie:
              type: apiKey
              in: cookie
              name: sluice_session
              description: The web console's session from POST /api/v1/login with session true. Every POST, PUT, PATCH and DELETE made with it must also send the session's CSRF token as X-CSRF-Token (403 otherwise).
            nodeCredential:
              type: http
              scheme: bearer
              description: A node's credential (`sln_…`) from enrollment.
          parameters:
            since: {name: since, in: query, schema: {type: string}, description: 'RFC 3339 time, or a duration back from now: 15m, 2h, 7d'}
            until: {name: until, in: query, schema: {type: string}, description: 'RFC 3339 time, or a duration back from now'}
            cursor: {name: cursor, in: query, schema: {type: string}, description: '`next_cursor` (or `Sluice-Next-Cursor`) of the previous page'}
            limit: {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
            node: {name: node, in: query, schema: {type: string}, description: 'A node id or name; repeat or use a comma list for several'}
            exe: {name: exe, in: query, schema: {type: string}, description: "The executable path, exactly"}
            dst: {name: dst, in: query, schema: {type: string}, description: 'A destination address or CIDR block (10.0.0.0/8, 2001:db8::/32)'}
            port: {name: port, in: query, schema: {type: integer, minimum: 1, maximum: 65535}}
            verdict: {name: verdict, in: query, schema: {type: string}, description: 'allow, alert or deny; repeat or use a comma list'}
            policy: {name: policy, in: query, schema: {type: string}, description: The deciding policy's name}
            statsFrom: {name: from, in: query, schema: {type: string}, description: 'Start: RFC 3339 or a duration back from now (default 1h before to)'}
            statsTo: {name: to, in: query, schema: {type: string}, description: 'End: RFC 3339 or a duration back from now (default now)'}
            nodeId: {name: id, in: path, required: true, schema: {type: string}, description: 'The node id (n-…)'}
            policyName: {name: name, in: path, required: true, schema: {type: string}}
            alertId: {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            BadRequest:
              description: Malformed input; the message says what and where
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Unauthorized:
              description: No, unknown, revoked or wrong kind of bearer token
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Forbidden:
              description: The caller's role does not allow this
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Revoked:
              description: The node was revoked
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            NotFound:
              description: No such thing
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Conflict:
              description: The change conflicts with the current state
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            TooLarge:
              description: The body, a line or the batch is over its limit
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Rejected:
              description: Policy rejected; `details` holds every diagnostic
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            TooManyRequests:
              description: Throttled after repeated failures
              headers: {Retry-After: {schema: {type: integer}, description: Seconds to wait}}
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
            Busy:
              description: Overloaded or not ready; try again after Retry-After seconds
              headers: {Retry-After: {schema: {type: integer}, description: Seconds to wait}}
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
          schemas:
            Error:
              type: object
              required: [error]
              properties:
                error: {type: string}
                details: {type: array, items: {type: string}, description: 'Policy diagnostics, `file:line:column: error: field: message`'}
            Time: {type: string, format: date-time, description: 'RFC 3339, UTC, microseconds'}
            Labels:
              type: object
              maxProperties: 64
              additionalProperties: {type: string, maxLength: 253, pattern: '^[A-Za-z0-9._-]*$'}
              propertyNames: {maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$'}
            Role: {type: string, enum: [viewer, operator, admin]}
            RolloutState: {type: string, enum: [applied, pending, failed, stale, revoked]}
            AlertKind: {type: string, enum: [alert_rule, policy_deny, anomaly]}
            AlertState: {type: string, enum: [open, acknowledged]}
            Verdict: {type: string, enum: [allow, alert, deny]}
            LearnedRuleState: {type: string, enum: [proposed, installed, approved, rejected, revoked, expired]}
            RuleDecisionKind: {type: string, enum: [approve, reject, revoke]}

        """#

    static let wireSchemas = #"""
            EnrollRequest:
              type: object
              required: [join_token, node_name, labels, kernel, agent_version]
              properties:
                join_token: {type: string}
                node_name: {type: string, maxLength: 253, pattern: '^[A-Za-z0-9._-]+$'}
                labels: {$ref: '#/components/schemas/Labels'}
                kernel: {type: string, maxLength: 256}
                agent_version: {type: string, maxLength: 128}
            EnrollResponse:
              type: object
              required: [node_id, credential, heartbeat_seconds]
              properties:
                node_id: {type: string}
                credential: {type: string, description: Shown once; send as the bearer token of every agent call}
                heartbeat_seconds: {type: integer}
            DecisionCounts:
              type: object
              required: [allow, alert, deny, monitor_deny]
              properties:
                allow: {type: integer}
                alert: {type: integer}
                deny: {type: integer}
                monitor_deny: {type: integer}
            EventLosses:
              type: object
              required: [kernel, agent, upload]
              properties:
                kernel: {type: integer, description: The kernel ring buffer was full}
                agent: {type: integer, description: The agent could not keep up}
                upload: {type: integer, description: The disk buffer was full while the server was away}
            Heartbeat:
              type: object
              required: [policy_generation, rules_loaded, decisions, events_lost, events_buffered, agent_version]
              properties:
                applied_revision: {type: integer, description: The server revision in force on the node}
                apply_error: {type: string, description: Why the latest revision received was not applied}
                failed_revision: {type: integer}
                policy_generation: {type: integer}
                rules_loaded: {type: integer}
                decisions: {$ref: '#/components/schemas/DecisionCounts'}
                events_lost: {$ref: '#/components/schemas/EventLosses'}
                events_buffered: {type: integer}
                agent_version: {type: string}
                rule_decisions_applied: {type: array, items: {type: integer}, description: Ids of rule decisions carried out}
            RuleDecision:
              type: object
              required: [id, rule_id, decision, decided_by, decided]
              properties:
                id: {type: integer}
                rule_id: {type: string}
                decision: {$ref: '#/components/schemas/RuleDecisionKind'}
                decided_by: {type: string}
                decided: {$ref: '#/components/schemas/Time'}
                note: {type: string}
            HeartbeatResponse:
              type: object
              required: [revoked, rule_decisions, revision, heartbeat_seconds]
              properties:
                revoked: {type: boolean}
                rule_decisions: {type: array, items: {$ref: '#/components/schemas/RuleDecision'}, description: Resent until acknowledged}
                revision: {type: integer}
                heartbeat_seconds: {type: integer}
            PolicyVersion:
              type: object
              required: [name, version, yaml, author, message, created, node_selector, deleted]
              properties:
                name: {type: string}
                version: {type: integer}
                yaml: {type: string, description: The policy document as pushed}
                author: {type: string}
                message: {type: string}
                created: {$ref: '#/components/schemas/Time'}
                node_selector: {$ref: '#/components/schemas/Labels'}
                deleted: {type: boolean}
            PolicyBundle:
              type: object
              required: [revision, policies]
              properties:
                revision: {type: integer}
                policies: {type: array, items: {$ref: '#/components/schemas/PolicyVersion'}}
            EventBatchResponse:
              type: object
              required: [stored, duplicate]
              properties:
                stored: {type: integer}
                duplicate: {type: boolean}
            DecisionEvent:
              type: object
              description: One line of NDJSON; `time` and `dst_ip` are required, other fields default.
              required: [time, dst_ip]
              properties:
                time: {$ref: '#/components/schemas/Time'}
                node: {type: string, description: Set by the server to the enrolled node's name}
                pid: {type: integer}
                uid: {type: integer}
                comm: {type: string}
                exe: {type: [string, 'null']}
                exe_id: {type: [string, 'null']}
                cgroup: {type: [string, 'null']}
                cgroup_id: {type: integer}
                protocol: {type: string}
                family: {type: string, enum: [ipv4, ipv6]}
                dst_ip: {type: string}
                dst_port: {type: integer}
                verdict: {$ref: '#/components/schemas/Verdict'}
                enforced: {type: boolean}
                policy: {type: [string, 'null']}
                rule: {type: string}
                hook: {type: string}
                generation: {type: integer}
                mapped: {type: boolean}
                unspecified: {type: boolean, description: 'The caller wrote 0.0.0.0 or ::; dst_ip is the loopback address it reaches'}
                closed: {type: boolean, description: 'An open connection ended because a new policy denies it (hook close-tcp or close-udp)'}
                score: {type: number}
                anomaly: {type: boolean}
                reasons: {type: array, items: {type: string}}
            LearnedRule:
              type: object
              required: [id, destination, port, transport, action, reasons, score, threshold, created, expires, state, evidence, hits]
              properties:
                id: {type: string, maxLength: 64}
                executable: {type: string}
                cgroup: {type: string}
                destination: {type: string}
                port: {type: integer}
                transport: {type: string, enum: [tcp, udp, any]}
                action: {$ref: '#/components/schemas/Verdict'}
                reasons: {type: array, items: {type: string}}
                score: {type: number}
                threshold: {type: number}
                created: {type: integer, description: Nanoseconds since the Unix epoch}
                expires: {type: integer, description: Nanoseconds since the Unix epoch}
                state: {$ref: '#/components/schemas/LearnedRuleState'}
                note: {type: string}
                evidence: {type: integer}
                hits: {type: integer}
                last_hit: {type: integer}
                policy_file: {type: string}
            RuleSnapshotResponse:
              type: object
              required: [stored]
              properties:
                stored: {type: integer}

        """#
}
