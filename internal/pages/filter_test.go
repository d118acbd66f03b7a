package pages

import "testing"

func TestFilter(t *testing.T) {
	f := newFilter(defaultBlocklist)
	for text, want := range map[string]bool{
		"Great talk on search at the booth! #PyConAPAC #Elastic": true,
		"부스에서 스티커 받았어요 #PyConAPAC #Elastic":                      true,
		"#PyConAPAC #Elastic @elastic https://t.co/x":            false, // nothing but tags
		"#PyConAPAC #Elastic 🎉":                                  false,
		"this is SHIT!! #PyConAPAC #Elastic":                     false,
		"ＦＵＣＫ #PyConAPAC":                                        false, // full-width folds
		"#fuck #PyConAPAC #Elastic nice":                         false,
		"아 씨발 줄이 길다 #PyConAPAC #Elastic":                         false,
		"병신같은 #PyConAPAC":                                        false,
		"Scunthorpe assassin classic #PyConAPAC":                 true, // no substring matching in Latin
		"shitake mushrooms for lunch #PyConAPAC #Elastic":        true,
	} {
		if got := f.allowed(text); got != want {
			t.Errorf("allowed(%q) = %v, want %v", text, got, want)
		}
	}
}
