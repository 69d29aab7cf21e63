extension OpenAPIDocument {
    static let adminSchemas = #"""
            LoginRequest:
              type: object
              required: [name, password]
              properties:
                name: {type: string, maxLength: 64}
                password: {type: string}
                token_name: {type: string, maxLength: 64, description: 'Default `login`'}
                session: {type: boolean, description: 'A browser session: the token goes into an HttpOnly cookie and the answer is a SessionCreated'}
            UserInfo:
              type: object
              required: [name, role, disabled, created]
              properties:
                name: {type: string}
                role: {$ref: '#/components/schemas/Role'}
                disabled: {type: boolean}
                created: {$ref: '#/components/schemas/Time'}
            APITokenInfo:
              type: object
              required: [id, name, owner, prefix, created]
              properties:
                id: {type: integer}
                name: {type: string}
                owner: {type: string}
                prefix: {type: string, description: The first characters of the token}
                created: {$ref: '#/components/schemas/Time'}
                last_used: {$ref: '#/components/schemas/Time'}
                revoked: {$ref: '#/components/schemas/Time'}
            APITokenCreated:
              type: object
              required: [token, info, user]
              properties:
                token: {type: string, description: Shown once}
                info: {$ref: '#/components/schemas/APITokenInfo'}
                user: {$ref: '#/components/schemas/UserInfo'}
            MeResponse:
              type: object
              required: [user, token]
              properties:
                user: {$ref: '#/components/schemas/UserInfo'}
                token: {$ref: '#/components/schemas/APITokenInfo'}
            CreateUserRequest:
              type: object
              required: [name, password, role]
              properties:
                name: {type: string, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$'}
                password: {type: string, minLength: 8, description: At most 72 bytes}
                role: {$ref: '#/components/schemas/Role'}
            UpdateUserRequest:
              type: object
              properties:
                role: {$ref: '#/components/schemas/Role'}
                password: {type: string, minLength: 8}
                disabled: {type: boolean}
                current_password: {type: string, description: "Required when changing your own password"}
            CreateAPITokenRequest:
              type: object
              required: [name]
              properties:
                name: {type: string, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$'}
            JoinTokenInfo:
              type: object
              required: [id, name, labels, created_by, created, uses]
              properties:
                id: {type: integer}
                name: {type: string}
                labels: {$ref: '#/components/schemas/Labels'}
                created_by: {type: string}
                created: {$ref: '#/components/schemas/Time'}
                expires: {$ref: '#/components/schemas/Time'}
                revoked: {$ref: '#/components/schemas/Time'}
                uses: {type: integer}
            CreateJoinTokenRequest:
              type: object
              required: [name]
              properties:
                name: {type: string, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$'}
                labels: {$ref: '#/components/schemas/Labels'}
                expires_in: {type: integer, minimum: 60, maximum: 31622400, description: Seconds; absent never expires}
            JoinTokenCreated:
              type: object
              required: [token, info]
              properties:
                token: {type: string, description: Shown once}
                info: {$ref: '#/components/schemas/JoinTokenInfo'}
            NodeInfo:
              type: object
              required: [id, name, labels, kernel, agent_version, enrolled, stale, current_revision, rollout, policy_generation, rules_loaded, decisions, events_lost, events_buffered]
              properties:
                id: {type: string}
                name: {type: string}
                labels: {$ref: '#/components/schemas/Labels'}
                kernel: {type: string}
                agent_version: {type: string}
                enrolled: {$ref: '#/components/schemas/Time'}
                join_token: {type: string}
                last_heartbeat: {$ref: '#/components/schemas/Time'}
                stale: {type: boolean}
                revoked: {$ref: '#/components/schemas/Time'}
                applied_revision: {type: integer}
                current_revision: {type: integer}
                rollout: {$ref: '#/components/schemas/RolloutState'}
                apply_error: {type: string}
                failed_revision: {type: integer}
                policy_generation: {type: integer}
                rules_loaded: {type: integer}
                decisions: {$ref: '#/components/schemas/DecisionCounts'}
                events_lost: {$ref: '#/components/schemas/EventLosses'}
                events_buffered: {type: integer}
            NodeLabelsRequest:
              type: object
              required: [labels]
              properties:
                labels: {$ref: '#/components/schemas/Labels'}
            NodeRollout:
              type: object
              required: [node_id, name, state]
              properties:
                node_id: {type: string}
                name: {type: string}
                state: {$ref: '#/components/schemas/RolloutState'}
                applied_revision: {type: integer}
                error: {type: string}
                last_heartbeat: {$ref: '#/components/schemas/Time'}
            RolloutStatus:
              type: object
              required: [revision, counts, nodes]
              properties:
                revision: {type: integer}
                counts: {type: object, additionalProperties: {type: integer}}
                nodes: {type: array, items: {$ref: '#/components/schemas/NodeRollout'}}
            PolicyPushRequest:
              type: object
              required: [documents]
              properties:
                documents: {type: array, minItems: 1, maxItems: 512, items: {type: string}, description: 'YAML texts, each with one or more `---` separated policies'}
                file_names: {type: array, items: {type: string, maxLength: 256}, description: Names of the documents in diagnostics (same count)}
                message: {type: string, maxLength: 4096}
                node_selector: {$ref: '#/components/schemas/Labels'}
            PolicyChangeResponse:
              type: object
              required: [revision, created, unchanged, warnings]
              properties:
                revision: {type: integer}
                created: {type: array, items: {$ref: '#/components/schemas/PolicyVersion'}}
                unchanged: {type: array, items: {type: string}}
                warnings: {type: array, items: {type: string}}
            PolicyRollbackRequest:
              type: object
              required: [version]
              properties:
                version: {type: integer, minimum: 1}
                message: {type: string, maxLength: 4096}
            PolicyDiff:
              type: object
              required: [name, from, to, diff]
              properties:
                name: {type: string}
                from: {type: integer}
                to: {type: integer}
                diff: {type: string, description: Unified diff; empty when equal}
            AlertInfo:
              type: object
              required: [id, kind, state, node_id, node, destination, port, verdict, count, first_seen, last_seen, sample]
              properties:
                id: {type: integer}
                kind: {$ref: '#/components/schemas/AlertKind'}
                state: {$ref: '#/components/schemas/AlertState'}
                node_id: {type: string}
                node: {type: string}
                policy: {type: string}
                rule: {type: string}
                exe: {type: string}
                destination: {type: string}
                port: {type: integer}
                verdict: {$ref: '#/components/schemas/Verdict'}
                score: {type: number}
                count: {type: integer, description: Events folded into this alert}
                first_seen: {$ref: '#/components/schemas/Time'}
                last_seen: {$ref: '#/components/schemas/Time'}
                acknowledged_by: {type: string}
                acknowledged: {$ref: '#/components/schemas/Time'}
                sample: {type: string, description: The first event's JSON line}
            AlertPage:
              type: object
              required: [items]
              properties:
                items: {type: array, items: {$ref: '#/components/schemas/AlertInfo'}}
                next_cursor: {type: string}
            AcknowledgeAlertRequest:
              type: object
              properties:
                note: {type: string, maxLength: 4096}
            AlertNotification:
              type: object
              required: [type, server, sent, alert]
              properties:
                type: {type: string, const: alert.raised}
                server: {type: string}
                sent: {$ref: '#/components/schemas/Time'}
                alert: {$ref: '#/components/schemas/AlertInfo'}
            LearnedRuleRecord:
              type: object
              required: [node_id, node, rule, reported, decision_delivered]
              properties:
                node_id: {type: string}
                node: {type: string}
                rule: {$ref: '#/components/schemas/LearnedRule'}
                reported: {$ref: '#/components/schemas/Time'}
                decision: {$ref: '#/components/schemas/RuleDecision'}
                decision_delivered: {type: boolean}
            RuleDecisionRequest:
              type: object
              required: [decision]
              properties:
                decision: {$ref: '#/components/schemas/RuleDecisionKind'}
                note: {type: string, maxLength: 4096}
            AuditEntry:
              type: object
              required: [id, time, actor, action, target, details]
              properties:
                id: {type: integer}
                time: {$ref: '#/components/schemas/Time'}
                actor: {type: string}
                action: {type: string}
                target: {type: string}
                details: {type: object, additionalProperties: {type: string}}
            AuditPage:
              type: object
              required: [items]
              properties:
                items: {type: array, items: {$ref: '#/components/schemas/AuditEntry'}}
                next_cursor: {type: string}

        """#
}
