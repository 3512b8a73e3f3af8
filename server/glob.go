package server

// Glob matching with Redis's exact semantics (KEYS, SCAN MATCH, CONFIG GET,
// PSUBSCRIBE, CLIENT LIST filters): '*' any run, '?' one byte, "[...]" a
// class with '^' negation, "a-z" ranges (reversed ranges allowed) and '\'
// escapes, '\' escaping any other byte. Matching is byte-wise. An
// unterminated class matches as if closed at the end of the pattern.
//
// The '*' case recurses; once a recursive attempt has failed because the
// string ran out, no longer suffix can match either, so the search stops
// there (this keeps patterns like "a*a*a*a*b" from going exponential).

// globMatch reports whether s matches pattern.
func globMatch(pattern, s []byte, nocase bool) bool {
	skip := false
	return globMatchImpl(pattern, s, nocase, &skip, 0)
}

// globMatchString is globMatch on strings.
func globMatchString(pattern, s string, nocase bool) bool {
	return globMatch([]byte(pattern), []byte(s), nocase)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func globMatchImpl(p, s []byte, nocase bool, skipLonger *bool, nesting int) bool {
	// Redis gives up on patterns nested this deep instead of recursing on.
	if nesting > 1000 {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatchImpl(p[1:], s, nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			match := false
			closed := true
			for {
				if len(p) >= 2 && p[0] == '\\' {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if len(p) == 0 {
					// Unterminated class: behave as if it ended here.
					closed = false
					break
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end, c := p[0], p[2], s[0]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						match = true
					}
				} else if nocase {
					if lower(p[0]) == lower(s[0]) {
						match = true
					}
				} else if p[0] == s[0] {
					match = true
				}
				p = p[1:]
			}
			s = s[1:]
			if not {
				match = !match
			}
			if !match {
				return false
			}
			if !closed {
				// Redis steps back onto the last byte so the common
				// advance below lands exactly at the end.
				p = []byte{0}
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if nocase {
				if lower(p[0]) != lower(s[0]) {
					return false
				}
			} else if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
