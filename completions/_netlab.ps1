
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'netlab' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'netlab'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'netlab' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Send ICMP echo requests to one or many hosts, with live rows and statistics')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve TCP or UDP: echo, greet, answer from a template, count words, or chat')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Resolve, connect, ping and trace one target, and check that they agree')
            [CompletionResult]::new('exporter', 'exporter', [CompletionResultType]::ParameterValue, 'Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netlab;resolve' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read names from FILE, one per line (''-'' for stdin; ''#'' starts a comment)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read names from FILE, one per line (''-'' for stdin; ''#'' starts a comment)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Ask this DNS server directly instead of the system''s configuration')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Ask this DNS server directly instead of the system''s configuration')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Record type to ask for (default: A and AAAA, as getaddrinfo does)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Record type to ask for (default: A and AAAA, as getaddrinfo does)')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Give up on a query after this long (default: the resolv.conf timeout, or 2s with --server)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on a query after this long (default: the resolv.conf timeout, or 2s with --server)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many names to resolve at once with --file')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Use TCP for DNS queries (UDP is used otherwise, with TCP on truncation)')
            [CompletionResult]::new('--short', '--short', [CompletionResultType]::ParameterName, 'Print only the values, one per line, as dig +short (CNAME targets, then the records)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;connect' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read targets (host:port, or hosts, addresses and ranges with -p) from FILE, one per line (''-'' for stdin; ''#'' starts a comment)')
            [CompletionResult]::new('--max-targets', '--max-targets', [CompletionResultType]::ParameterName, 'Refuse ranges and files that add up to more targets than N, before anything is sent')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Ports: 22,80,8000-8100; ''-'' (as in -p-) for all 65535')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Ports: 22,80,8000-8100; ''-'' (as in -p-) for all 65535')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'How long to wait for a handshake or an answer')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for a handshake or an answer')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Probe COUNT times and print statistics (single port only)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Probe COUNT times and print statistics (single port only)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between repeated probes')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between repeated probes')
            [CompletionResult]::new('--send', '--send', [CompletionResultType]::ParameterName, 'Send TEXT once connected (escapes: \n \r \t \\ \xNN), then read the answer')
            [CompletionResult]::new('--send-file', '--send-file', [CompletionResultType]::ParameterName, 'Send the contents of FILE once connected (streamed as it is read; UDP: at most one datagram)')
            [CompletionResult]::new('--eol', '--eol', [CompletionResultType]::ParameterName, 'What ends the text sent: --send adds none, --interactive lf (none: `bye`, not `bye\n`)')
            [CompletionResult]::new('--recv-bytes', '--recv-bytes', [CompletionResultType]::ParameterName, 'Stop reading the answer after N bytes')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Exit 1 unless the answer contains TEXT (escapes as for --send)')
            [CompletionResult]::new('--expect-regex', '--expect-regex', [CompletionResultType]::ParameterName, 'Exit 1 unless the answer matches the regular expression RE')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'With --syn: the most SYNs a second (default 10000); lowered when answers are lost, raised back as they return')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Probes in flight at once when scanning (default: as many as the open-file limit allows)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'URLs: the request method (default GET; POST with --data; HEAD with --head)')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'URLs: the request method (default GET; POST with --data; HEAD with --head)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'URLs: add a request header ''Name: value'' (repeat for more)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'URLs: add a request header ''Name: value'' (repeat for more)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'URLs: send DATA as the request body (POST unless -X names another method)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'URLs: send DATA as the request body (POST unless -X names another method)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS: the server name sent in the handshake and checked against the certificate')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'URLs and TLS: use ADDR for HOST:PORT instead of looking the name up, as curl --resolve (repeat for more)')
            [CompletionResult]::new('--expect-status', '--expect-status', [CompletionResultType]::ParameterName, 'URLs: a request is answered only with this status (default: any status below 400)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'TLS: trust the CA certificates of this PEM file as well as the system''s')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'URLs with -c: draw each attempt''s phases stacked, into FILE (.svg or .png)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Shut the write side after sending, as `nc -N` does: a server that reads to the end answers and closes at once')
            [CompletionResult]::new('--shutdown', '--shutdown', [CompletionResultType]::ParameterName, 'Shut the write side after sending, as `nc -N` does: a server that reads to the end answers and closes at once')
            [CompletionResult]::new('--syn', '--syn', [CompletionResultType]::ParameterName, 'SYN ("half-open") scan with raw packets, as nmap -sS (needs CAP_NET_RAW): a SYN-ACK is open, a RST closed, silence after one retry filtered. No connection is completed: the kernel''s own RST to the SYN-ACK ends the half-open connection')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS handshake only, on HOST:PORT (any TLS service): version, cipher, ALPN, the chain and whether it verifies')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'URLs: follow redirects, each hop shown (at most 10), as curl -L')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'URLs: follow redirects, each hop shown (at most 10), as curl -L')
            [CompletionResult]::new('--head', '--head', [CompletionResultType]::ParameterName, 'URLs: send HEAD (curl''s -I; long form only, as -I is ping''s interface and trace''s ICMP)')
            [CompletionResult]::new('--http1.1', '--http1.1', [CompletionResultType]::ParameterName, 'URLs: speak HTTP/1.1 only')
            [CompletionResult]::new('--http2', '--http2', [CompletionResultType]::ParameterName, 'URLs: speak HTTP/2 (chosen by ALPN over TLS; with prior knowledge over http://)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'TLS: go on when the chain does not verify (it is still shown, and said not to verify)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'TLS: go on when the chain does not verify (it is still shown, and said not to verify)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Talk: send lines typed on stdin, print the server''s lines, until either side closes or says `bye`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;ping' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read targets (hosts, addresses, ranges) from FILE, one per line (''-'' for stdin; ''#'' starts a comment)')
            [CompletionResult]::new('--max-targets', '--max-targets', [CompletionResultType]::ParameterName, 'Refuse ranges and files that add up to more targets than N, before anything is sent')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Sweep: probes per second across all targets (default 1000 for a sweep)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Stop after COUNT probes per target (default: until Ctrl-C or the deadline)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after COUNT probes per target (default: until Ctrl-C or the deadline)')
            [CompletionResult]::new('--probe-interface', '--probe-interface', [CompletionResultType]::ParameterName, 'Ask the router (one address) about one of its interfaces with RFC 8335 probes: is it up, which families run on it (needs CAP_NET_RAW)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between probes to a target (at least 2ms without CAP_NET_RAW) [default: 1s; 10ms with -f]')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between probes to a target (at least 2ms without CAP_NET_RAW) [default: 1s; 10ms with -f]')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'How long to wait for each reply before counting it lost (later ones count as late)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for each reply before counting it lost (later ones count as late)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'ICMP data bytes per probe')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'ICMP data bytes per probe')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Time to live (IPv6: hop limit) of the probes, 1-255')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Time to live (IPv6: hop limit) of the probes, 1-255')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this interface (SO_BINDTODEVICE) or source address')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this interface (SO_BINDTODEVICE) or source address')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Fill the probe data with this pattern of up to 16 hex bytes (e.g. ff00)')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'Fill the probe data with this pattern of up to 16 hex bytes (e.g. ff00)')
            [CompletionResult]::new('-M', '-M ', [CompletionResultType]::ParameterName, 'Path-MTU discovery: do (DF set, never fragment), want, dont (no DF), probe (DF, ignore the path MTU)')
            [CompletionResult]::new('--pmtudisc', '--pmtudisc', [CompletionResultType]::ParameterName, 'Path-MTU discovery: do (DF set, never fragment), want, dont (no DF), probe (DF, ignore the path MTU)')
            [CompletionResult]::new('-Q', '-Q ', [CompletionResultType]::ParameterName, 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)')
            [CompletionResult]::new('--tos', '--tos', [CompletionResultType]::ParameterName, 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Send this many probes at once before waiting (more than 3 needs CAP_NET_RAW)')
            [CompletionResult]::new('--preload', '--preload', [CompletionResultType]::ParameterName, 'Send this many probes at once before waiting (more than 3 needs CAP_NET_RAW)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Firewall mark of the probes (SO_MARK; needs CAP_NET_ADMIN)')
            [CompletionResult]::new('--mark', '--mark', [CompletionResultType]::ParameterName, 'Firewall mark of the probes (SO_MARK; needs CAP_NET_ADMIN)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Draw RTT per probe over time (losses marked) and the RTT histogram into FILE (.svg or .png)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Sweep: print only the addresses that answered, one per line, as fping -a')
            [CompletionResult]::new('--alive', '--alive', [CompletionResultType]::ParameterName, 'Sweep: print only the addresses that answered, one per line, as fping -a')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Sweep: print only the addresses that did not answer, one per line, as fping -u')
            [CompletionResult]::new('--unreachable', '--unreachable', [CompletionResultType]::ParameterName, 'Sweep: print only the addresses that did not answer, one per line, as fping -u')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the summary, not a row per reply')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the summary, not a row per reply')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show addresses only (no reverse DNS names)')
            [CompletionResult]::new('--numeric', '--numeric', [CompletionResultType]::ParameterName, 'Show addresses only (no reverse DNS names)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Flood: send as fast as replies come back, at least every 10ms; print . per probe and a backspace per reply (CAP_NET_RAW)')
            [CompletionResult]::new('--flood', '--flood', [CompletionResultType]::ParameterName, 'Flood: send as fast as replies come back, at least every 10ms; print . per probe and a backspace per reply (CAP_NET_RAW)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Adaptive: send the next probe as soon as the reply comes (at most -i apart; at least 200ms without CAP_NET_RAW)')
            [CompletionResult]::new('--adaptive', '--adaptive', [CompletionResultType]::ParameterName, 'Adaptive: send the next probe as soon as the reply comes (at most -i apart; at least 200ms without CAP_NET_RAW)')
            [CompletionResult]::new('-D', '-D ', [CompletionResultType]::ParameterName, 'Print the Unix time before each row')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Print the Unix time before each row')
            [CompletionResult]::new('-O', '-O ', [CompletionResultType]::ParameterName, 'Say "no answer yet" when a probe is still unanswered as the next one goes out')
            [CompletionResult]::new('--report-outstanding', '--report-outstanding', [CompletionResultType]::ParameterName, 'Say "no answer yet" when a probe is still unanswered as the next one goes out')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Allow pinging a broadcast address')
            [CompletionResult]::new('--broadcast', '--broadcast', [CompletionResultType]::ParameterName, 'Allow pinging a broadcast address')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Full-screen live chart and table of every target on a terminal (keys: q quit, p pause, r reset, +/- window, l log, n names); the usual rows (NDJSON with --json) otherwise')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;trace' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Destination port (UDP default 33434, TCP default 80); the same for every probe')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Destination port (UDP default 33434, TCP default 80); the same for every probe')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Largest TTL (hop limit) to probe')
            [CompletionResult]::new('--max-hops', '--max-hops', [CompletionResultType]::ParameterName, 'Largest TTL (hop limit) to probe')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'TTL of the first hop to probe')
            [CompletionResult]::new('--first', '--first', [CompletionResultType]::ParameterName, 'TTL of the first hop to probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Probes per hop (default 3; 1 per round with -c or --watch)')
            [CompletionResult]::new('--queries', '--queries', [CompletionResultType]::ParameterName, 'Probes per hop (default 3; 1 per round with -c or --watch)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'The longest a probe waits for its answer (most wait far less: see the README)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'The longest a probe waits for its answer (most wait far less: see the README)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Source address of the probes')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Source address of the probes')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send the probes through this interface (SO_BINDTODEVICE; traceroute''s -i, which is the interval here)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)')
            [CompletionResult]::new('--tos', '--tos', [CompletionResultType]::ParameterName, 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Probes in flight at once [default: 16]')
            [CompletionResult]::new('--sim-queries', '--sim-queries', [CompletionResultType]::ParameterName, 'Probes in flight at once [default: 16]')
            [CompletionResult]::new('--asn-zone', '--asn-zone', [CompletionResultType]::ParameterName, 'The zone -A asks: origin.ZONE, origin6.ZONE and AS<n>.ZONE')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Draw RTT per hop and the unanswered probes per hop into FILE (.svg or .png), over the rounds with -c/--watch')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Trace N rounds over every hop, then print per-hop statistics (like mtr -r -c N)')
            [CompletionResult]::new('--cycles', '--cycles', [CompletionResultType]::ParameterName, 'Trace N rounds over every hop, then print per-hop statistics (like mtr -r -c N)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between round starts with -c or --watch (below 2ms needs CAP_NET_RAW, as ping''s -i)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between round starts with -c or --watch (below 2ms needs CAP_NET_RAW, as ping''s -i)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Statistics columns, comma-separated, as mtr -o (see the README; e.g. loss,sent,avg,worst,kind)')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Statistics columns, comma-separated, as mtr -o (see the README; e.g. loss,sent,avg,worst,kind)')
            [CompletionResult]::new('--flows', '--flows', [CompletionResultType]::ParameterName, 'Probe N flows side by side (different flow identifiers), to see every load-balanced path')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Probe with ICMP echo requests')
            [CompletionResult]::new('--icmp', '--icmp', [CompletionResultType]::ParameterName, 'Probe with ICMP echo requests')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'Probe with UDP datagrams to one fixed port (the default)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Probe with UDP datagrams to one fixed port (the default)')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Probe with TCP SYNs (connect attempts) to one port')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Probe with TCP SYNs (connect attempts) to one port')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show addresses only (no reverse DNS names)')
            [CompletionResult]::new('--numeric', '--numeric', [CompletionResultType]::ParameterName, 'Show addresses only (no reverse DNS names)')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Don''t fragment: set DF (IPv6: never fragment locally); a hop behind a smaller MTU answers !F')
            [CompletionResult]::new('--dont-fragment', '--dont-fragment', [CompletionResultType]::ParameterName, 'Don''t fragment: set DF (IPv6: never fragment locally); a hop behind a smaller MTU answers !F')
            [CompletionResult]::new('--mtu', '--mtu', [CompletionResultType]::ParameterName, 'Discover the path MTU along the trace (traceroute --mtu, tracepath): probes start at the route''s MTU with DF, and shrink where a router says the next link is smaller')
            [CompletionResult]::new('--back', '--back', [CompletionResultType]::ParameterName, 'Show the number of hops back where it differs from the hops forward, guessed from each answer''s TTL (traceroute --back, tracepath''s asymm)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Show the AS number, prefix and AS name of every hop, from DNS TXT records in Team Cymru''s format (mtr -z, traceroute -A)')
            [CompletionResult]::new('--asn', '--asn', [CompletionResultType]::ParameterName, 'Show the AS number, prefix and AS name of every hop, from DNS TXT records in Team Cymru''s format (mtr -z, traceroute -A)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep tracing round after round until Ctrl-C (or -c N rounds): one line (NDJSON with --json) per round when stdout is not a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;serve' {
            [CompletionResult]::new('--banner', '--banner', [CompletionResultType]::ParameterName, 'Greet each client with TEXT and a newline, then close (escapes: \n \r \t \\ \xNN)')
            [CompletionResult]::new('--reply', '--reply', [CompletionResultType]::ParameterName, 'Answer each line with TEMPLATE: {line} the line, {peer} the client, {{ }} braces')
            [CompletionResult]::new('--eol', '--eol', [CompletionResultType]::ParameterName, 'With --chat: what ends each typed line sent to the client (none: `bye`, not `bye\n`)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Close a connection after this long without data in either direction')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Connections served at once; more are closed at once and logged as refused [default: 256, 1 with --chat]')
            [CompletionResult]::new('--max-line', '--max-line', [CompletionResultType]::ParameterName, 'Longest line in bytes (newline included); a longer one ends the connection')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send back every byte received, as it arrives (the default)')
            [CompletionResult]::new('--words', '--words', [CompletionResultType]::ParameterName, 'Answer each line with its unique words (first-seen order) and its length in characters')
            [CompletionResult]::new('--chat', '--chat', [CompletionResultType]::ParameterName, 'Print what the client sends as it arrives, send lines typed on stdin; `bye` from either side ends it')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Serve UDP datagrams (echo, banner, reply, words): one answer per datagram')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Serve UDP datagrams (echo, banner, reply, words): one answer per datagram')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;check' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'TCP port to connect to [default: 80]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'TCP port to connect to [default: 80]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Draw the four parts and the verdict on one page into FILE (.svg or .png)')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write the lab report into DIR: report.md with every table, and the pictures beside it')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;exporter' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to serve /metrics and /probe on [default: 127.0.0.1:9470, or the config''s listen]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Configuration file (TOML): targets, intervals, what /probe may probe')
            [CompletionResult]::new('--web.config.file', '--web.config.file', [CompletionResultType]::ParameterName, 'TLS and basic auth, in the web configuration format of Prometheus'' exporters (YAML: tls_server_config, basic_auth_users)')
            [CompletionResult]::new('--probe-any-target', '--probe-any-target', [CompletionResultType]::ParameterName, 'Let /probe probe any target, not only the ones the config allows (turns the port into a prober for whoever reaches it)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;help' {
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Send ICMP echo requests to one or many hosts, with live rows and statistics')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve TCP or UDP: echo, greet, answer from a template, count words, or chat')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Resolve, connect, ping and trace one target, and check that they agree')
            [CompletionResult]::new('exporter', 'exporter', [CompletionResultType]::ParameterValue, 'Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netlab;help;resolve' {
            break
        }
        'netlab;help;connect' {
            break
        }
        'netlab;help;ping' {
            break
        }
        'netlab;help;trace' {
            break
        }
        'netlab;help;serve' {
            break
        }
        'netlab;help;check' {
            break
        }
        'netlab;help;exporter' {
            break
        }
        'netlab;help;completions' {
            break
        }
        'netlab;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
