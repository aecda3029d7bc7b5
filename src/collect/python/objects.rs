//! Plain data across the boundary, without JSON text in between: the
//! request becomes Python dicts, lists, strings and numbers for the
//! collector, and the collector's reply, made of the same, is read back as a
//! `serde_json::Value` that the typed reply (`collect::raw`) is taken from.
//! (Writing and parsing JSON cost more than the reading does, and the `_json`
//! module alone takes longer to import than a short program runs.)

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// `value` as Python objects: objects as dicts, arrays as lists.
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_python(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// The plain data `obj` holds, read as JSON would write it: dicts (with
/// string or integer keys), lists and tuples, strings, integers, finite
/// floats, booleans and None. Integers past 64 bits become floats, as JSON
/// readers take them. A string with a lone surrogate (a file name that is
/// not UTF-8) reads as Python's `backslashreplace` shows it: `\udcff`, six
/// characters. Anything else is an error (a bug in the collector).
pub(crate) fn from_python(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return text(s).map(Value::String);
    }
    if let Ok(dict) = obj.cast_exact::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            map.insert(key_text(&key)?, from_python(&item)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = obj.cast_exact::<PyList>() {
        return list.iter().map(|item| from_python(&item)).collect();
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return Ok(integer(i));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err(format!("{} is not a finite number", f.value())));
    }
    if let Ok(tuple) = obj.cast_exact::<PyTuple>() {
        return tuple.iter().map(|item| from_python(&item)).collect();
    }
    Err(PyTypeError::new_err(format!(
        "not plain data: {}",
        obj.get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string())
    )))
}

fn text(s: &Bound<'_, PyString>) -> PyResult<String> {
    match s.to_str() {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => {
            let bytes = s.call_method1("encode", ("utf-8", "backslashreplace"))?;
            Ok(String::from_utf8_lossy(bytes.extract::<&[u8]>()?).into_owned())
        }
    }
}

fn key_text(key: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = key.cast::<PyString>() {
        return text(s);
    }
    if key.cast::<PyBool>().is_err()
        && let Ok(i) = key.cast::<PyInt>()
    {
        return Ok(i.to_string());
    }
    Err(PyTypeError::new_err(
        "a dict key that is neither text nor an integer",
    ))
}

fn integer(i: &Bound<'_, PyInt>) -> Value {
    if let Ok(n) = i.extract::<i64>() {
        Value::from(n)
    } else if let Ok(n) = i.extract::<u64>() {
        Value::from(n)
    } else {
        i.extract::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number)
    }
}
