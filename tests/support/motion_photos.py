"""Motion photos made in memory from real camera files, the way Google and Samsung cameras
lay them out (no public motion photo small enough to commit was found: the Pixel and
Samsung JPEG samples in immich-app/test-assets are 4 MiB and more).

- Google (Camera XMP v1, "MP~" files): the JPEG gets an XMP packet naming the video's length
  in a ``Container:Directory`` (semantic ``MotionPhoto``) and in ``GCamera:MicroVideoOffset``,
  and the MP4 is appended.
- Samsung: the MP4 follows a ``MotionPhoto_Data`` marker, and the SEF trailer (a directory of
  Samsung's own records, ending in ``SEFT``) follows the video.
"""

from __future__ import annotations

import struct

_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
    xmlns:Container="http://ns.google.com/photos/1.0/container/"
    xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
    GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"
    GCamera:MotionPhotoPresentationTimestampUs="0"
    GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1"
    GCamera:MicroVideoOffset="{length}">
   <Container:Directory>
    <rdf:Seq>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0"/>
     </rdf:li>
     <rdf:li rdf:parseType="Resource">
      <Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{length}"/>
     </rdf:li>
    </rdf:Seq>
   </Container:Directory>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def google_motion_photo(jpeg: bytes, mp4: bytes) -> bytes:
    assert jpeg[:2] == b"\xff\xd8"
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + _XMP.format(length=len(mp4)).encode()
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:] + mp4


def samsung_motion_photo(jpeg: bytes, mp4: bytes) -> bytes:
    marker = b"MotionPhoto_Data"
    # A SEF trailer after the video: record header, directory, then its size and "SEFT".
    sef = b"SEFH" + struct.pack("<II", 107, 1) + struct.pack("<HHII", 0, 0x0A30, 0, 0)
    return jpeg + marker + mp4 + sef + struct.pack("<I", len(sef)) + b"SEFT"
