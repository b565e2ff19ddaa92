/// Turns text scraped from product pages into plain text: markup removed, entities decoded, whitespace collapsed.
///
/// Amazon's titles and descriptions carry `&amp;`, `&#9733;`, `<br />` and the like; left in, they cost the
/// generator tokens and teach it nothing.
public enum HTMLText {
    public static func clean(_ text: String) -> String {
        let hasMarkup = text.utf8.contains { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") }
        var scalars = Array(text.unicodeScalars)
        if hasMarkup {
            scalars = decodeEntities(removeTags(scalars))
            // Some records are escaped twice ("&amp;quot;"); one more pass finishes the job.
            if scalars.contains("&") { scalars = decodeEntities(scalars) }
        }
        return collapseWhitespace(scalars)
    }

    /// Longer runs are text with a stray "<", not a tag; the bound also keeps a huge line linear.
    private static let maximumTagLength = 1024

    private static let blockTags: Set<String> = ["br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr"]

    private static func removeTags(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<", index + 1 < scalars.count,
               scalars[index + 1].properties.isAlphabetic || scalars[index + 1] == "/" || scalars[index + 1] == "!",
               let close = scalars[(index + 1)...].prefix(maximumTagLength).firstIndex(of: ">")
            {
                let name = String(String.UnicodeScalarView(scalars[(index + 1)..<close].drop { $0 == "/" }.prefix { $0.properties.isAlphabetic || ("0"..."9").contains($0) }))
                // Block elements separate words; inline ones (<b>, <span>) sit inside them.
                if blockTags.contains(name.lowercased()) { output.append(" ") }
                index = close + 1
                continue
            }
            output.append(scalar)
            index += 1
        }
        return output
    }

    private static func decodeEntities(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "&", let end = scalars[index...].prefix(12).firstIndex(of: ";"), end > index + 1 else {
                output.append(scalar)
                index += 1
                continue
            }
            let body = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
            if let decoded = decode(entity: body) {
                output.append(contentsOf: decoded.unicodeScalars)
                index = end + 1
            } else {
                output.append(scalar)
                index += 1
            }
        }
        return output
    }

    private static func decode(entity body: String) -> String? {
        if body.hasPrefix("#") {
            let digits = body.dropFirst()
            let value: UInt32?
            if digits.first == "x" || digits.first == "X" {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            guard let value else { return nil }
            // Pages written in Windows-1252 put its characters at 128...159 (&#153; is ™), as browsers read them.
            if let mapped = windows1252[value] { return String(mapped) }
            guard let scalar = Unicode.Scalar(value), value >= 0x20 || value == 0x09 || value == 0x0A else { return " " }
            return String(Character(scalar))
        }
        return namedEntities[body]
    }

    private static func collapseWhitespace(_ scalars: [Unicode.Scalar]) -> String {
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in scalars {
            if scalar.properties.isWhitespace || scalar == "\u{00A0}" || (scalar.value < 0x20) {
                pendingSpace = !output.isEmpty
                continue
            }
            if scalar == "\u{00AD}" || scalar == "\u{200B}" { continue }  // soft hyphen, zero-width space
            if pendingSpace {
                output.append(" ")
                pendingSpace = false
            }
            output.append(scalar)
        }
        return String(output)
    }

    private static let windows1252: [UInt32: Character] = [
        128: "€", 130: "‚", 131: "ƒ", 132: "„", 133: "…", 134: "†", 135: "‡", 136: "ˆ", 137: "‰", 138: "Š", 139: "‹",
        140: "Œ", 142: "Ž", 145: "‘", 146: "’", 147: "“", 148: "”", 149: "•", 150: "–", 151: "—", 152: "˜", 153: "™",
        154: "š", 155: "›", 156: "œ", 158: "ž", 159: "Ÿ",
    ]

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ensp": " ", "emsp": " ", "thinsp": " ",
        "copy": "©", "reg": "®", "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’",
        "ldquo": "“", "rdquo": "”", "sbquo": "‚", "bdquo": "„", "laquo": "«", "raquo": "»", "bull": "•", "middot": "·",
        "deg": "°", "frac12": "½", "frac14": "¼", "frac34": "¾", "times": "×", "divide": "÷", "plusmn": "±", "micro": "µ",
        "para": "¶", "sect": "§", "cent": "¢", "pound": "£", "euro": "€", "yen": "¥", "iexcl": "¡", "iquest": "¿",
        "sup1": "¹", "sup2": "²", "sup3": "³", "ordm": "º", "ordf": "ª", "acute": "´", "uml": "¨", "shy": "\u{00AD}",
        "hearts": "♥", "spades": "♠", "clubs": "♣", "diams": "♦", "star": "☆", "check": "✓", "larr": "←",
        "rarr": "→", "uarr": "↑", "darr": "↓", "dagger": "†", "Dagger": "‡", "permil": "‰", "prime": "′", "Prime": "″",
        "aacute": "á", "Aacute": "Á", "agrave": "à", "Agrave": "À", "acirc": "â", "Acirc": "Â", "auml": "ä", "Auml": "Ä",
        "atilde": "ã", "Atilde": "Ã", "aring": "å", "Aring": "Å", "aelig": "æ", "AElig": "Æ", "ccedil": "ç", "Ccedil": "Ç",
        "eacute": "é", "Eacute": "É", "egrave": "è", "Egrave": "È", "ecirc": "ê", "Ecirc": "Ê", "euml": "ë", "Euml": "Ë",
        "iacute": "í", "Iacute": "Í", "igrave": "ì", "Igrave": "Ì", "icirc": "î", "Icirc": "Î", "iuml": "ï", "Iuml": "Ï",
        "ntilde": "ñ", "Ntilde": "Ñ", "oacute": "ó", "Oacute": "Ó", "ograve": "ò", "Ograve": "Ò", "ocirc": "ô", "Ocirc": "Ô",
        "ouml": "ö", "Ouml": "Ö", "otilde": "õ", "Otilde": "Õ", "oslash": "ø", "Oslash": "Ø", "uacute": "ú", "Uacute": "Ú",
        "ugrave": "ù", "Ugrave": "Ù", "ucirc": "û", "Ucirc": "Û", "uuml": "ü", "Uuml": "Ü", "yacute": "ý", "Yacute": "Ý",
        "yuml": "ÿ", "szlig": "ß", "oelig": "œ", "OElig": "Œ", "scaron": "š", "Scaron": "Š",
    ]
}
