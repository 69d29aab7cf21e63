extension IPAddress {
    /// Parses dotted IPv4 (`192.0.2.7`) or IPv6 text (`2001:db8::1`, `::ffff:10.0.0.1`).
    public init?(_ text: some StringProtocol) {
        guard let address = text.withUTF8Bytes(Self.parse) else { return nil }
        self = address
    }

    /// IPv6 text when it holds a colon, else IPv4; a mapped IPv6 address becomes IPv4.
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard text.contains(ASCII.colon) else {
            return parseIPv4(text).map { IPAddress(family: .ipv4, low: UInt64($0)) }
        }
        return parseIPv6(text).map { IPAddress(mapping: $0) }
    }

    /// From IPv6 words: the mapped form (`::ffff:a.b.c.d`) becomes IPv4.
    init(mapping words: (high: UInt64, low: UInt64)) {
        if words.high == 0 && words.low >> 32 == 0xffff {
            self.init(family: .ipv4, low: words.low)
        } else {
            self.init(family: .ipv6, high: words.high, low: words.low)
        }
    }

    /// Four decimal parts of 0 to 255. Read byte by byte: a large policy holds 100,000 of them.
    static func parseIPv4(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var part: UInt32 = 0
        var digits = 0
        for byte in text {
            if byte == ASCII.dot {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else if let digit = ASCII.decimal(byte) {
                // Leading zeros are refused: inet_aton reads them as octal, people mean decimal.
                guard digits < 3, digits == 0 || part != 0 else { return nil }
                part = part * 10 + UInt32(digit)
                digits += 1
                guard part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// Eight groups of one to four hex digits, one run of zero groups written `::`, and the last
    /// 32 bits optionally in dotted IPv4 form. Gives the 128-bit value; mapping is the caller's.
    static func parseIPv6(_ text: UnsafeBufferPointer<UInt8>) -> (high: UInt64, low: UInt64)? {
        guard let gap = firstDoubleColon(in: text) else {
            guard let all = groups(text[...], allowIPv4: true), all.count == 8 else { return nil }
            return (all.high, all.low)
        }
        let head = text[..<gap]
        let tail = text[(gap + 2)...]
        if tail.first == ASCII.colon || firstDoubleColon(in: UnsafeBufferPointer(rebasing: tail)) != nil {
            return nil
        }
        // `::` stands for at least one zero group.
        guard let front = groups(head, allowIPv4: false), let back = groups(tail, allowIPv4: true),
            front.count + back.count <= 7
        else { return nil }
        let shifted = front.shiftedLeft(groups: 8 - front.count)
        return (shifted.high | back.high, shifted.low | back.low)
    }

    private static func firstDoubleColon(in text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard text.count >= 2 else { return nil }
        return (0..<(text.count - 1)).first { text[$0] == ASCII.colon && text[$0 + 1] == ASCII.colon }
    }

    /// Up to eight 16-bit groups read so far, as a right-aligned 128-bit number.
    private struct Groups {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0

        mutating func append(_ group: UInt16) -> Bool {
            guard count < 8 else { return false }
            high = high << 16 | low >> 48
            low = low << 16 | UInt64(group)
            count += 1
            return true
        }

        func shiftedLeft(groups: Int) -> Groups {
            var result = self
            for _ in 0..<groups {
                result.high = result.high << 16 | result.low >> 48
                result.low <<= 16
            }
            return result
        }
    }

    /// The groups of one side of `::` (or of the whole text): colon-separated, none empty; an
    /// IPv4 part may end the text only.
    private static func groups(_ part: Slice<UnsafeBufferPointer<UInt8>>, allowIPv4: Bool) -> Groups? {
        var result = Groups()
        guard !part.isEmpty else { return result }
        var fieldStart = part.startIndex
        while true {
            let fieldEnd = part[fieldStart...].firstIndex(of: ASCII.colon) ?? part.endIndex
            let field = part[fieldStart..<fieldEnd]
            if field.contains(ASCII.dot) {
                guard allowIPv4, fieldEnd == part.endIndex,
                    let v4 = parseIPv4(UnsafeBufferPointer(rebasing: field)),
                    result.append(UInt16(v4 >> 16)), result.append(UInt16(v4 & 0xffff))
                else { return nil }
            } else {
                guard (1...4).contains(field.count) else { return nil }
                var value: UInt16 = 0
                for byte in field {
                    guard let digit = ASCII.hex(byte) else { return nil }
                    value = value << 4 | UInt16(digit)
                }
                guard result.append(value) else { return nil }
            }
            guard fieldEnd < part.endIndex else { return result }
            fieldStart = fieldEnd + 1
        }
    }
}
