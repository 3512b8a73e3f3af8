package server

import "math"

// geoSin, geoCos and geoAsin are the trigonometry of geo distances.
func geoSin(x float64) float64 { return math.Sin(x) }

func geoCos(x float64) float64 { return math.Cos(x) }

func geoAsin(x float64) float64 { return math.Asin(x) }
